import { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import {
  BlobStore,
  DigestMismatchError,
  UploadNotFoundError,
  type BlobInfo,
  type UploadStatus,
} from '@wharf/ports';
import { Queries } from '@wharf/runtime';
import { isDigest } from '@wharf/oci';
import { ByteSlices } from './byte-slices.js';
import { RegistryError, uploadUnknown } from './registry.errors.js';

/** Part size where the blob store wants large parts (S3): the least it takes, raised to cut part overhead. */
const PREFERRED_PART_SIZE = 16 * 1024 * 1024;

/** The bytes a PATCH says it carries (its Content-Range), inclusive. */
export interface ChunkRange {
  readonly start: number;
  readonly end: number;
}

/** Where an upload session stands: its id and how many bytes it holds. */
export interface UploadProgress {
  readonly uploadId: string;
  readonly size: number;
}

/**
 * Blob uploads of the registry push API. A session is a blob-store multipart upload and nothing else: its
 * parts and their sizes, kept by the blob store (S3 in a multi-process deployment), are the session's whole
 * state, so any replica continues a session another one started and a restart loses nothing (ADR 0010).
 *
 * A request body is streamed into parts of `partSize` bytes (the last may be shorter), numbered after the
 * parts already held, so memory holds one chunk of the request. Because S3 refuses a short part anywhere but
 * last, a session whose last part is short takes no more bytes: the registry says so up front with
 * `OCI-Chunk-Min-Length`, and a chunk sent after a short one is refused with 416.
 *
 * Nothing unverified becomes visible: finishing joins the parts and the blob store checks the digest before
 * the blob exists; a mismatch drops the session. A finished blob is recorded in the catalog, not added to
 * any repository: the manifest push that references it does that (one version per image).
 */
@Injectable()
export class BlobUploads {
  constructor(
    private readonly blobs: BlobStore,
    private readonly queries: Queries,
  ) {}

  /** The least length of every chunk but the last, or 0 where the blob store takes parts of any size. */
  get chunkMinLength(): number {
    return this.blobs.minPartSize > 1 ? this.blobs.minPartSize : 0;
  }

  private get partSize(): number {
    return this.chunkMinLength === 0
      ? Number.MAX_SAFE_INTEGER
      : Math.max(this.chunkMinLength, PREFERRED_PART_SIZE);
  }

  async start(): Promise<UploadProgress> {
    const session = await this.blobs.createUpload();
    return { uploadId: session.uploadId, size: 0 };
  }

  async progress(name: string, uploadId: string): Promise<UploadProgress> {
    const status = await this.session(name, uploadId);
    return { uploadId, size: status.size };
  }

  /**
   * Appends a body to the session. With `range`, it must start where the session ends (else 416, nothing
   * written) and the body must be that long.
   */
  async append(
    name: string,
    uploadId: string,
    body: AsyncIterable<Uint8Array>,
    range?: ChunkRange,
  ): Promise<UploadProgress> {
    const status = await this.session(name, uploadId);
    if (range && range.start !== status.size) {
      throw this.outOfOrder(name, uploadId, status.size, `chunk starts at ${range.start}`);
    }
    const slices = new ByteSlices(body);
    if (!(await slices.hasMore())) return { uploadId, size: status.size };
    const last = status.parts.at(-1);
    if (last && this.chunkMinLength > 0 && last.size < this.chunkMinLength) {
      throw this.outOfOrder(
        name,
        uploadId,
        status.size,
        `the previous chunk had ${last.size} bytes, under the ${this.chunkMinLength}-byte OCI-Chunk-Min-Length, ` +
          'so it had to be the last',
      );
    }
    let partNumber = Math.max(0, ...status.parts.map((p) => p.partNumber)) + 1;
    try {
      while (await slices.hasMore()) {
        await this.blobs.putUploadPart(uploadId, partNumber++, slices.next(this.partSize));
      }
    } catch (error) {
      if (error instanceof UploadNotFoundError) throw uploadUnknown(name, uploadId);
      throw error;
    }
    const size = status.size + slices.consumed;
    if (range && range.end !== size - 1) {
      // The parts are written and cannot be taken back one by one: the session no longer matches what the
      // client believes it holds, so it ends here and the client starts over.
      await this.cancel(name, uploadId).catch(() => undefined);
      throw new RegistryError(
        'BLOB_UPLOAD_INVALID',
        `chunk ${range.start}-${range.end} carried ${slices.consumed} bytes; the upload is cancelled`,
        { name, uploadId },
      );
    }
    return { uploadId, size };
  }

  /** Appends the final body (if any), verifies the digest, and records the blob in the catalog. */
  async finish(
    name: string,
    uploadId: string,
    digest: string,
    body: AsyncIterable<Uint8Array>,
  ): Promise<BlobInfo> {
    assertDigest(digest);
    const status = await this.session(name, uploadId);
    let blob: BlobInfo;
    try {
      if (status.parts.length === 0) {
        // Nothing was sent before this request (a monolithic POST-then-PUT, or an empty blob): the body is
        // stored whole, hashed as it streams in, with no parts to join afterwards.
        blob = await this.blobs.put(Readable.from(body), digest);
        await this.blobs.abortUpload(uploadId).catch(() => undefined);
      } else {
        await this.append(name, uploadId, body);
        blob = await this.blobs.completeUpload(uploadId, digest);
      }
    } catch (error) {
      if (error instanceof DigestMismatchError) {
        await this.blobs.abortUpload(uploadId).catch(() => undefined);
        throw digestMismatch(error);
      }
      if (error instanceof UploadNotFoundError) throw uploadUnknown(name, uploadId);
      throw error;
    }
    await this.record(blob);
    return blob;
  }

  /** A whole blob in one request (POST with `?digest=`): verified, stored, recorded. */
  async putWhole(digest: string, body: AsyncIterable<Uint8Array>): Promise<BlobInfo> {
    assertDigest(digest);
    try {
      const blob = await this.blobs.put(Readable.from(body), digest);
      await this.record(blob);
      return blob;
    } catch (error) {
      if (error instanceof DigestMismatchError) throw digestMismatch(error);
      throw error;
    }
  }

  async cancel(name: string, uploadId: string): Promise<void> {
    await this.session(name, uploadId);
    await this.blobs.abortUpload(uploadId).catch((error: unknown) => {
      if (error instanceof UploadNotFoundError) throw uploadUnknown(name, uploadId);
      throw error;
    });
  }

  /** Whether the catalog holds this blob (pushed before, or synced), so a mount or manifest may use it. */
  async isRecorded(digest: string): Promise<boolean> {
    return (await this.blobs.stat(digest)) !== undefined && (await this.record(digest)) !== undefined;
  }

  private async record(blob: BlobInfo | string): Promise<BlobInfo | undefined> {
    const info = typeof blob === 'string' ? await this.blobs.stat(blob) : blob;
    if (!info) return undefined;
    await this.queries.ask('content.blob.record', { digest: info.digest, size: info.size });
    return info;
  }

  private async session(name: string, uploadId: string): Promise<UploadStatus> {
    try {
      return await this.blobs.uploadStatus(uploadId);
    } catch (error) {
      if (error instanceof UploadNotFoundError) throw uploadUnknown(name, uploadId);
      throw error;
    }
  }

  private outOfOrder(name: string, uploadId: string, size: number, why: string): RegistryError {
    return new RegistryError(
      'RANGE_INVALID',
      `upload ${uploadId} holds bytes 0-${size - 1}: ${why}`,
      { name, uploadId },
      416,
      { Range: uploadRange(size), Location: uploadLocation(name, uploadId), 'Docker-Upload-UUID': uploadId },
    );
  }
}

/** The `Range` header of an upload holding `size` bytes (`0-0` before the first byte, as distribution says). */
export function uploadRange(size: number): string {
  return `0-${Math.max(0, size - 1)}`;
}

export function uploadLocation(name: string, uploadId: string): string {
  return `/v2/${name}/blobs/uploads/${uploadId}`;
}

function assertDigest(digest: string): void {
  if (!isDigest(digest)) {
    throw new RegistryError('DIGEST_INVALID', `invalid digest: ${digest}`, { digest });
  }
}

function digestMismatch(error: DigestMismatchError): RegistryError {
  return new RegistryError(
    'DIGEST_INVALID',
    `the uploaded bytes have digest ${error.actual}, not ${error.expected}; nothing was stored`,
    { expected: error.expected, actual: error.actual },
  );
}
