import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { BlobStore, DigestMismatchError, UploadNotFoundError, type UploadPart } from '@wharf/ports';
import {
  NotFoundError,
  ValidationError,
  uploadHref,
  type ArtifactView,
  type ChunkPlacement,
  type CommitUploadRequest,
  type CommitUploadTask,
  type Page,
  type PlaceChunkRequest,
  type RecordChunkRequest,
  type UploadView,
} from '@wharf/contracts';
import { missingBytes, partSizeFor, placeChunk } from './chunk-layout.js';
import { UploadClosedError, type DiscardReason, type Upload } from './upload.decider.js';
import { UploadDirectory, toUploadView } from './upload-directory.projection.js';
import { UploadStreams } from './upload.streams.js';
import { ArtifactsService } from './artifacts.service.js';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Upload sessions: the application service between bus queries, the commit task, the expiry sweep and the
 * upload streams. The session's bytes live in a blob store multipart upload, so both survive a restart.
 */
@Injectable()
export class UploadsService {
  constructor(
    private readonly streams: UploadStreams,
    private readonly directory: UploadDirectory,
    private readonly blobs: BlobStore,
    private readonly artifacts: ArtifactsService,
  ) {}

  async create(size: number, at: Date): Promise<UploadView> {
    if (!Number.isSafeInteger(size) || size <= 0) {
      throw new ValidationError({ size: ['Ensure this value is a whole number greater than 0.'] });
    }
    const session = await this.blobs.createUpload();
    const uploadId = randomUUID();
    const { state, lastGlobalPosition } = await this.streams.execute(uploadId, {
      type: 'CreateUpload',
      uploadId,
      size,
      blobUploadId: session.uploadId,
      partSize: partSizeFor(size, this.blobs.minPartSize),
      at: at.toISOString(),
    });
    await this.directory.caughtUp(lastGlobalPosition);
    return toUploadView(state!);
  }

  /** An open upload; committed and discarded ones are gone, as in Pulp. */
  get(id: string): UploadView {
    const upload = this.existing(id);
    if (upload.status !== 'open') throw new NotFoundError(`upload ${id}`);
    return toUploadView(upload);
  }

  list(offset: number, limit: number): Page<UploadView> {
    return this.directory.list(offset, limit);
  }

  async delete(id: string, at: Date): Promise<void> {
    this.get(id);
    await this.discard(this.existing(id), 'deleted', at);
  }

  /** Where a chunk's bytes go; refuses a chunk the session cannot take before any byte is written. */
  placeChunk(request: PlaceChunkRequest): ChunkPlacement {
    const upload = this.open(request.uploadId);
    const { partNumber } = placeChunk(upload.uploadId, upload, request.range, request.total);
    return { blobUploadId: upload.blobUploadId, partNumber };
  }

  async recordChunk(request: RecordChunkRequest, at: Date): Promise<UploadView> {
    const upload = this.open(request.uploadId);
    // Checked again: another chunk may have been recorded since this one was placed.
    const chunk = placeChunk(upload.uploadId, upload, request.range, upload.size);
    if (chunk.partNumber !== request.partNumber) {
      throw new Error(
        `upload ${upload.uploadId}: chunk ${chunk.start}-${chunk.end} was stored as the wrong part`,
      );
    }
    const { state, lastGlobalPosition } = await this.streams.execute(upload.uploadId, {
      type: 'RecordChunk',
      uploadId: upload.uploadId,
      chunk,
      at: at.toISOString(),
    });
    await this.directory.caughtUp(lastGlobalPosition);
    return toUploadView(state!);
  }

  /** Refuses a commit that cannot succeed (a 400 rather than a failed task) and settles the artifact's id. */
  validateCommit(request: CommitUploadRequest): CommitUploadTask {
    if (!SHA256_HEX.test(request.sha256)) {
      throw new ValidationError({ sha256: ['Enter the sha256 as 64 lower-case hexadecimal characters.'] });
    }
    const upload = this.open(request.uploadId);
    this.assertComplete(upload);
    return { ...request, artifactId: randomUUID() };
  }

  /**
   * Runs the commit task: join the parts, verify the sha256 (the blob store does, before anything is
   * visible), record the artifact, close the session. A mismatch discards the upload and fails naming both
   * digests. Running it again after a crash finishes the same commit.
   */
  async commit(task: CommitUploadTask, at: Date): Promise<ArtifactView> {
    const upload = this.existing(task.uploadId);
    const digest = `sha256:${task.sha256}`;
    if (upload.status === 'committed' && upload.artifactId) return this.artifacts.get(upload.artifactId);
    if (upload.status !== 'open') throw new UploadClosedError(upload);
    this.assertComplete(upload);
    try {
      await this.assertPartsStored(upload);
      await this.blobs.completeUpload(upload.blobUploadId, digest);
    } catch (error) {
      if (error instanceof DigestMismatchError) {
        await this.discard(upload, 'digest-mismatch', at);
        throw new Error(
          `upload ${uploadHref(upload.uploadId)}: the uploaded bytes have digest ${error.actual}, ` +
            `not the expected ${error.expected}; the upload is discarded`,
        );
      }
      // A run that completed the blob upload but crashed before recording it finds the session gone.
      if (!(error instanceof UploadNotFoundError && (await this.blobs.stat(digest)))) throw error;
    }
    return this.recordCommit(upload, digest, task.artifactId, at);
  }

  /**
   * Commits a complete upload whose digest the client never gave (an archive imported straight from an
   * upload): the blob store names the joined bytes by the digest it computes. Running it again after the
   * commit was recorded returns the same artifact.
   */
  async commitAsUploaded(uploadId: string, artifactId: string, at: Date): Promise<ArtifactView> {
    const upload = this.existing(uploadId);
    if (upload.status === 'committed' && upload.artifactId) return this.artifacts.get(upload.artifactId);
    if (upload.status !== 'open') throw new UploadClosedError(upload);
    this.assertComplete(upload);
    await this.assertPartsStored(upload);
    const stored = await this.blobs.completeUpload(upload.blobUploadId);
    return this.recordCommit(upload, stored.digest, artifactId, at);
  }

  private async recordCommit(
    upload: Upload,
    digest: string,
    artifactId: string,
    at: Date,
  ): Promise<ArtifactView> {
    const artifact = await this.artifacts.record(digest, at, artifactId);
    const { lastGlobalPosition } = await this.streams.execute(upload.uploadId, {
      type: 'CommitUpload',
      uploadId: upload.uploadId,
      artifactId: artifact.id,
      at: at.toISOString(),
    });
    await this.directory.caughtUp(lastGlobalPosition);
    return artifact;
  }

  /** Aborts the open sessions created before `before`; returns how many. */
  async expire(before: Date, at: Date): Promise<number> {
    const abandoned = this.directory.openSince(before);
    for (const upload of abandoned) await this.discard(upload, 'expired', at);
    return abandoned.length;
  }

  private async discard(upload: Upload, reason: DiscardReason, at: Date): Promise<void> {
    await this.blobs.abortUpload(upload.blobUploadId).catch((error: unknown) => {
      if (!(error instanceof UploadNotFoundError)) throw error;
    });
    const { lastGlobalPosition } = await this.streams.execute(upload.uploadId, {
      type: 'DiscardUpload',
      uploadId: upload.uploadId,
      reason,
      at: at.toISOString(),
    });
    await this.directory.caughtUp(lastGlobalPosition);
  }

  private existing(id: string): Upload {
    const upload = this.directory.get(id);
    if (!upload) throw new NotFoundError(`upload ${id}`);
    return upload;
  }

  private open(id: string): Upload {
    const upload = this.existing(id);
    if (upload.status !== 'open') throw new UploadClosedError(upload);
    return upload;
  }

  private assertComplete(upload: Upload): void {
    const gap = missingBytes(upload.size, upload.chunks);
    if (gap) {
      throw new ValidationError({
        non_field_errors: [
          `upload ${upload.uploadId} is incomplete: bytes ${gap.start}-${gap.end} were never received`,
        ],
      });
    }
  }

  /**
   * The blob store joins every part it holds, so a stray part (from a chunk that failed its checks after
   * being written) would corrupt the result; it must hold exactly the recorded chunks.
   */
  private async assertPartsStored(upload: Upload): Promise<void> {
    const stored = new Map<number, UploadPart>(
      (await this.blobs.uploadStatus(upload.blobUploadId)).parts.map((p) => [p.partNumber, p]),
    );
    const recorded = upload.chunks;
    const matches =
      stored.size === recorded.length &&
      recorded.every((c) => stored.get(c.partNumber)?.size === c.end - c.start + 1);
    if (!matches) {
      throw new Error(
        `upload ${uploadHref(upload.uploadId)}: the stored parts do not match the chunks received; ` +
          `send the chunks again`,
      );
    }
  }
}
