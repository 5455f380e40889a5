import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { createDigester, parseDigest, type Digester } from '@wharf/oci';

export interface BlobVerificationFailures {
  /** The bytes hash to `actual` instead of the digest asked for. */
  mismatch(actual: string): Error;
  /** The body ended (or broke) after `received` of the announced bytes. */
  truncated(received: number, cause?: unknown): Error;
  /** The body broke without an announced length to compare against. */
  broken(cause: unknown): Error;
}

/**
 * A blob download that checks itself: bytes pass through as they arrive (nothing is buffered) and the
 * stream only ends cleanly when their digest equals the one asked for and the announced Content-Length
 * arrived in full; otherwise it emits the error the failure factories build. With `checkDigest` false only
 * the length is checked, for a consumer that hashes the bytes anyway and checks the digest itself.
 */
export class VerifiedBlobStream extends Transform {
  private readonly digester: Digester | undefined;
  private received = 0;

  constructor(
    /** The digest the bytes must hash to. */
    readonly digest: string,
    /** Content-Length the registry announced, when it did. */
    readonly size: number | undefined,
    private readonly failures: BlobVerificationFailures,
    checkDigest = true,
  ) {
    super();
    const { algorithm } = parseDigest(digest);
    this.digester = checkDigest ? createDigester(algorithm) : undefined;
  }

  /** Bytes passed through so far. */
  get receivedBytes(): number {
    return this.received;
  }

  /** Pipes `source` through this stream, turning its errors into typed ones and stopping it when we stop. */
  static verifying(
    source: Readable,
    digest: string,
    size: number | undefined,
    failures: BlobVerificationFailures,
    checkDigest = true,
  ): VerifiedBlobStream {
    const verified = new VerifiedBlobStream(digest, size, failures, checkDigest);
    source.once('error', (error) => {
      const short = size !== undefined && verified.receivedBytes < size;
      verified.destroy(short ? failures.truncated(verified.receivedBytes, error) : failures.broken(error));
    });
    // A consumer that gives up early must not leave the download (and its connection) running.
    verified.once('close', () => source.destroy());
    source.pipe(verified);
    return verified;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.digester?.update(chunk);
    this.received += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.size !== undefined && this.received < this.size) {
      callback(this.failures.truncated(this.received));
      return;
    }
    const actual = this.digester?.digest() ?? this.digest;
    callback(actual === this.digest ? null : this.failures.mismatch(actual));
  }
}
