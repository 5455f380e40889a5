import type { Readable } from 'node:stream';

/**
 * Content-addressed byte storage. Objects are named by their digest ("sha256:<hex>") and never change.
 *
 * The rule that matters: nothing unverified is ever visible. `put` and `completeUpload` write to a private
 * staging location, hash what arrives, and only when the digest matches move the bytes under the digest's
 * name; on mismatch or error the staged bytes are removed. A reader that finds a digest therefore finds
 * exactly those bytes.
 */
export interface BlobInfo {
  readonly digest: string;
  readonly size: number;
}

/** Inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

export interface UploadPart {
  readonly partNumber: number;
  readonly size: number;
}

export interface UploadStatus {
  readonly uploadId: string;
  readonly parts: readonly UploadPart[];
  /** Sum of the parts' sizes. */
  readonly size: number;
  readonly createdAt: Date;
}

export class BlobNotFoundError extends Error {
  constructor(readonly digest: string) {
    super(`blob ${digest} not found`);
    this.name = 'BlobNotFoundError';
  }
}

export class DigestMismatchError extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`digest mismatch: expected ${expected}, got ${actual}`);
    this.name = 'DigestMismatchError';
  }
}

export class UploadNotFoundError extends Error {
  constructor(readonly uploadId: string) {
    super(`upload ${uploadId} not found`);
    this.name = 'UploadNotFoundError';
  }
}

export class RangeNotSatisfiableError extends Error {
  constructor(
    readonly range: ByteRange,
    readonly size: number,
  ) {
    super(`range ${range.start}-${range.end} not satisfiable for ${size} bytes`);
    this.name = 'RangeNotSatisfiableError';
  }
}

export abstract class BlobStore {
  /**
   * Smallest size of every part but the last in a multipart upload (S3 refuses smaller ones: 5 MiB).
   * Callers that receive small chunks (registry PATCH) collect them up to this size before `putUploadPart`.
   */
  abstract readonly minPartSize: number;

  /**
   * Stores a stream of unknown length. With `expectedDigest`, the computed sha256 must equal it or
   * DigestMismatchError is thrown and nothing is kept; without it, the computed digest names the object.
   * Storing a digest that already exists succeeds without duplicating it.
   */
  abstract put(body: Readable | AsyncIterable<Uint8Array>, expectedDigest?: string): Promise<BlobInfo>;

  /** Streams the object, or the inclusive range of it. Throws BlobNotFoundError / RangeNotSatisfiableError. */
  abstract get(digest: string, range?: ByteRange): Promise<Readable>;

  /**
   * Hands back a chunk read from a `get` stream once nothing refers to it any more (its bytes were written
   * out and the write completed), so the store may read later bytes into the same memory. Optional: a chunk
   * never handed back is garbage collected; one the store did not lend is ignored.
   */
  recycle(_chunk: Uint8Array): void {}

  /** Size of a stored object, or undefined. */
  abstract stat(digest: string): Promise<BlobInfo | undefined>;

  /** Removes the object; deleting a missing digest is not an error. */
  abstract delete(digest: string): Promise<void>;

  /**
   * A URL a client can GET the object from without credentials, valid for `expirySeconds`, or undefined
   * where the backend cannot presign (the filesystem).
   */
  abstract presignedGetUrl(digest: string, expirySeconds: number): Promise<string | undefined>;

  /** Starts a multipart upload; its state lives in the backend, so it survives a process restart. */
  abstract createUpload(): Promise<UploadStatus>;

  /**
   * Stores one part (1-based `partNumber`, any order; re-sending a number replaces it). The part is streamed.
   */
  abstract putUploadPart(
    uploadId: string,
    partNumber: number,
    body: Readable | AsyncIterable<Uint8Array>,
  ): Promise<UploadPart>;

  abstract uploadStatus(uploadId: string): Promise<UploadStatus>;

  /**
   * Joins the parts in part-number order, verifies the result against `expectedDigest` and makes it visible
   * under that digest; on mismatch throws DigestMismatchError and the upload is gone. Without `expectedDigest`
   * (bytes whose digest the caller learns only now, as with `put`), the computed digest names the object.
   */
  abstract completeUpload(uploadId: string, expectedDigest?: string): Promise<BlobInfo>;

  abstract abortUpload(uploadId: string): Promise<void>;

  /** Upload sessions started before `before`, for expiry of abandoned uploads. */
  abstract listUploads(before: Date): Promise<UploadStatus[]>;

  /** Every stored digest, for orphan cleanup. */
  abstract list(): AsyncIterable<BlobInfo>;

  abstract ping(): Promise<void>;

  abstract close(): Promise<void>;
}

/**
 * The whole of a blob the caller already knows to be small (a manifest, an image config: their size checked
 * against a limit first). Everything larger is streamed, never read with this.
 */
export async function readSmallBlob(blobs: BlobStore, digest: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await blobs.get(digest)) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}
