import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { InvalidDigestError } from './oci.errors.js';

/**
 * Digests as the OCI image spec defines them: `algorithm ":" encoded`, where
 *
 *   algorithm ::= component (separator component)*   component ::= [a-z0-9]+   separator ::= [+._-]
 *   encoded   ::= [a-zA-Z0-9=_-]+
 *
 * The grammar admits algorithms nobody can check. Wharf verifies every byte it stores, so only the
 * registered algorithms it can compute are accepted (sha256, the default everywhere, and sha512), each with
 * its exact lowercase-hex length; anything else is rejected with the reason.
 */
export type DigestAlgorithm = 'sha256' | 'sha512';

export interface ParsedDigest {
  readonly algorithm: DigestAlgorithm;
  /** The lowercase hex part after the colon. */
  readonly encoded: string;
}

const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const ENCODED_FORMAT: Readonly<Record<DigestAlgorithm, RegExp>> = {
  sha256: /^[a-f0-9]{64}$/,
  sha512: /^[a-f0-9]{128}$/,
};

function isSupportedAlgorithm(algorithm: string): algorithm is DigestAlgorithm {
  return Object.hasOwn(ENCODED_FORMAT, algorithm);
}

/** Parses a digest, throwing InvalidDigestError that says which rule it breaks. */
export function parseDigest(value: string): ParsedDigest {
  if (!DIGEST_GRAMMAR.test(value)) {
    throw new InvalidDigestError(value, 'expected <algorithm>:<encoded> per the OCI digest grammar');
  }
  const colon = value.indexOf(':');
  const algorithm = value.slice(0, colon);
  const encoded = value.slice(colon + 1);
  if (!isSupportedAlgorithm(algorithm)) {
    throw new InvalidDigestError(value, `unsupported algorithm ${algorithm} (supported: sha256, sha512)`);
  }
  if (!ENCODED_FORMAT[algorithm].test(encoded)) {
    const hexLength = algorithm === 'sha256' ? 64 : 128;
    throw new InvalidDigestError(value, `a ${algorithm} digest has ${hexLength} lowercase hex characters`);
  }
  return { algorithm, encoded };
}

export function isDigest(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    parseDigest(value);
    return true;
  } catch {
    return false;
  }
}

export function sha256Digest(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Incremental hashing for bytes that arrive in chunks, so no caller needs to hold a whole blob. */
export interface Digester {
  update(chunk: Uint8Array): void;
  /** Bytes seen so far. */
  readonly size: number;
  /** The digest of everything seen; after the first call, further updates are refused. */
  digest(): string;
}

class NodeCryptoDigester implements Digester {
  private readonly hash: Hash;
  private seen = 0;
  private result: string | undefined;

  constructor(private readonly algorithm: DigestAlgorithm) {
    this.hash = createHash(algorithm);
  }

  get size(): number {
    return this.seen;
  }

  update(chunk: Uint8Array): void {
    if (this.result !== undefined) throw new Error(`${this.algorithm} digester: update after digest()`);
    this.hash.update(chunk);
    this.seen += chunk.byteLength;
  }

  digest(): string {
    this.result ??= `${this.algorithm}:${this.hash.digest('hex')}`;
    return this.result;
  }
}

export function createDigester(algorithm: DigestAlgorithm = 'sha256'): Digester {
  return new NodeCryptoDigester(algorithm);
}

/**
 * A pass-through stream that hashes what flows through it: pipe a download or an upload through it and read
 * `digest()` and `size` once it has ended.
 */
export class DigestingTransform extends Transform {
  private readonly digester: Digester;
  private finished = false;

  constructor(algorithm: DigestAlgorithm = 'sha256') {
    super();
    this.digester = createDigester(algorithm);
  }

  get size(): number {
    return this.digester.size;
  }

  /** The digest of all bytes that passed; only available after the stream has flushed. */
  digest(): string {
    if (!this.finished) throw new Error('DigestingTransform: digest() called before the stream ended');
    return this.digester.digest();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.digester.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.finished = true;
    callback();
  }
}
