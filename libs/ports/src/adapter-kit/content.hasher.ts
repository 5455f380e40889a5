import { createHash } from 'node:crypto';
import type { BlobInfo } from '../index.js';
import { sha256Digest } from './blob-addressing.util.js';

/** Passes a body through unchanged while measuring its sha256 digest and size. */
export class ContentHasher {
  private readonly hash = createHash('sha256');
  private size = 0;

  async *pass(body: AsyncIterable<unknown>): AsyncGenerator<Uint8Array> {
    for await (const chunk of body) {
      const bytes = asBytes(chunk);
      this.update(bytes);
      yield bytes;
    }
  }

  /** Reads a body to its end just to measure it. */
  static async measure(body: AsyncIterable<unknown>): Promise<BlobInfo> {
    const hasher = new ContentHasher();
    for await (const chunk of body) hasher.update(asBytes(chunk));
    return hasher.result();
  }

  /** Call once, after `pass` has been read to the end. */
  result(): BlobInfo {
    return { digest: sha256Digest(this.hash.digest('hex')), size: this.size };
  }

  private update(bytes: Uint8Array): void {
    this.hash.update(bytes);
    this.size += bytes.length;
  }
}

// A Readable yields strings once someone has called setEncoding on it; anything else is a caller bug.
function asBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk);
  throw new TypeError(`a blob body must yield bytes, got ${typeof chunk}`);
}
