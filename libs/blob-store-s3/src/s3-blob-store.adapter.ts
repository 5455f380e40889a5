import { Agent as HttpAgent } from 'node:http';
import {
  assertRangeSatisfiable,
  sha256Digest,
  sha256Hex,
  ContentHasher,
  assertPartNumber,
  isUploadId,
  newUploadId,
} from '@wharf/ports/adapter-kit';
import { Agent as HttpsAgent } from 'node:https';
import { Readable } from 'node:stream';
import { Client } from 'minio';
import {
  BlobNotFoundError,
  BlobStore,
  DigestMismatchError,
  UploadNotFoundError,
  type BlobInfo,
  type ByteRange,
  type UploadPart,
  type UploadStatus,
} from '@wharf/ports';
import { writeObjectInParts } from './multipart-object.writer.js';
import { PartSpool } from './part.spool.js';
import { hasCode, S3Bucket } from './s3-bucket.client.js';
import { clientOptionsFor, endpointOrigin, type S3BlobStoreOptions } from './s3-endpoint.config.js';
import { S3KeyLayout } from './s3-key.layout.js';
import {
  completedParts,
  S3UploadSessionRepository,
  statusOf,
  type PartRecord,
} from './s3-upload-session.repository.js';

const MiB = 1024 * 1024;
/** Piece size of a put; memory per put stays near it, and it caps a blob at 10,000 pieces (78 GiB). */
const PUT_PIECE_SIZE = 8 * MiB;
/** Upload parts up to this size are held in memory while their length is found; larger ones spool to disk. */
const PART_MEMORY_LIMIT = 16 * MiB;

/**
 * BlobStore on S3 (MinIO, AWS or any S3-compatible server) through the minio client. Bytes are written
 * under staging/ and verified while they arrive; only a verified object is copied, server side, to its
 * digest's key. Upload sessions are S3 multipart uploads, so parts go straight to S3, and their bookkeeping
 * lives in the bucket, so any process can continue a session (see S3KeyLayout for the keys).
 */
export class S3BlobStore extends BlobStore {
  /** S3 refuses smaller parts, except the last. */
  readonly minPartSize = 5 * MiB;
  private readonly agent: HttpAgent;
  private readonly bucket: S3Bucket;
  private readonly keys: S3KeyLayout;
  private readonly sessions: S3UploadSessionRepository;
  private readonly origin: string;

  constructor(options: S3BlobStoreOptions) {
    super();
    const clientOptions = clientOptionsFor(options);
    // An agent of our own, so close() can end its idle keep-alive sockets.
    this.agent = clientOptions.useSSL
      ? new HttpsAgent({ keepAlive: true })
      : new HttpAgent({ keepAlive: true });
    this.bucket = new S3Bucket(new Client({ ...clientOptions, transportAgent: this.agent }), options.bucket);
    this.keys = new S3KeyLayout(options.prefix ?? '');
    this.sessions = new S3UploadSessionRepository(this.bucket, this.keys);
    this.origin = endpointOrigin(options.endPoint);
  }

  async put(body: Readable | AsyncIterable<Uint8Array>, expectedDigest?: string): Promise<BlobInfo> {
    const stagingKey = this.keys.newStagingKey();
    const hasher = new ContentHasher();
    try {
      await writeObjectInParts(this.bucket, stagingKey, hasher.pass(body), PUT_PIECE_SIZE);
    } catch (error) {
      await this.removeAfterFailure(stagingKey);
      throw error;
    }
    return this.publish(stagingKey, hasher.result(), expectedDigest);
  }

  async get(digest: string, range?: ByteRange): Promise<Readable> {
    const key = this.blobKeyOf(digest);
    if (!range) {
      const body = await this.bucket.read(key);
      if (!body) throw new BlobNotFoundError(digest);
      return body;
    }
    const size = await this.bucket.sizeOf(key);
    if (size === undefined) throw new BlobNotFoundError(digest);
    assertRangeSatisfiable(range, size);
    return this.bucket.readRange(key, range.start, range.end - range.start + 1);
  }

  async stat(digest: string): Promise<BlobInfo | undefined> {
    const hex = sha256Hex(digest);
    const size = hex === undefined ? undefined : await this.bucket.sizeOf(this.keys.blobKey(hex));
    return size === undefined ? undefined : { digest, size };
  }

  async delete(digest: string): Promise<void> {
    const hex = sha256Hex(digest);
    if (hex) await this.bucket.remove(this.keys.blobKey(hex));
  }

  /** Signing needs no request, so the URL is made without checking that the blob exists. */
  async presignedGetUrl(digest: string, expirySeconds: number): Promise<string | undefined> {
    return this.bucket.presignGet(this.blobKeyOf(digest), expirySeconds);
  }

  async createUpload(): Promise<UploadStatus> {
    const uploadId = newUploadId();
    const createdAt = new Date();
    const s3UploadId = await this.bucket.startMultipart(this.keys.joinedUploadKey(uploadId));
    await this.sessions.create(uploadId, { s3UploadId, createdAt: createdAt.toISOString() });
    return { uploadId, parts: [], size: 0, createdAt };
  }

  async putUploadPart(
    uploadId: string,
    partNumber: number,
    body: Readable | AsyncIterable<Uint8Array>,
  ): Promise<UploadPart> {
    assertPartNumber(uploadId, partNumber);
    const session = await this.sessions.read(uploadId);
    // Forgotten before the new bytes go up, so the status never shows a part whose bytes were replaced.
    await this.sessions.forgetPart(uploadId, partNumber);
    const spool = await PartSpool.fill(body, PART_MEMORY_LIMIT);
    try {
      const key = this.keys.joinedUploadKey(uploadId);
      const etag = await this.bucket
        .uploadPart(key, session.s3UploadId, partNumber, spool)
        .catch((error: unknown) => {
          throw hasCode(error, 'NoSuchUpload') ? new UploadNotFoundError(uploadId) : error;
        });
      await this.sessions.recordPart(uploadId, { partNumber, size: spool.size, etag });
    } finally {
      await spool.dispose();
    }
    return { partNumber, size: spool.size };
  }

  async uploadStatus(uploadId: string): Promise<UploadStatus> {
    return this.sessions.status(uploadId);
  }

  async completeUpload(uploadId: string, expectedDigest?: string): Promise<BlobInfo> {
    const session = await this.sessions.read(uploadId);
    const parts = await this.sessions.parts(uploadId);
    const joinedKey = this.keys.joinedUploadKey(uploadId);
    return this.endingSession(uploadId, async () => {
      if (parts.length === 0) {
        // S3 cannot complete a multipart upload without parts; the result is the empty blob anyway.
        await this.discardMultipart(joinedKey, session.s3UploadId);
        return this.put(Readable.from([]), expectedDigest);
      }
      this.assertPartSizes(uploadId, parts);
      await this.bucket.completeMultipart(joinedKey, session.s3UploadId, completedParts(parts));
      return this.publish(joinedKey, await this.measure(joinedKey), expectedDigest);
    });
  }

  async abortUpload(uploadId: string): Promise<void> {
    if (!isUploadId(uploadId)) return;
    const session = await this.sessions.read(uploadId).catch((error: unknown) => {
      if (error instanceof UploadNotFoundError) return undefined;
      throw error;
    });
    const joinedKey = this.keys.joinedUploadKey(uploadId);
    if (session) await this.discardMultipart(joinedKey, session.s3UploadId);
    // A completeUpload that crashed after joining the parts leaves the joined object behind.
    await this.bucket.remove(joinedKey);
    await this.sessions.remove(uploadId);
  }

  async listUploads(before: Date): Promise<UploadStatus[]> {
    const started: UploadStatus[] = [];
    for await (const uploadId of this.sessions.ids()) {
      const session = await this.sessions.read(uploadId).catch((error: unknown) => {
        if (error instanceof UploadNotFoundError) return undefined; // ended meanwhile
        throw error;
      });
      if (session && new Date(session.createdAt) < before) {
        started.push(statusOf(uploadId, session, await this.sessions.parts(uploadId)));
      }
    }
    return started;
  }

  async *list(): AsyncIterable<BlobInfo> {
    for await (const { key, size } of this.bucket.list(this.keys.blobsPrefix)) {
      const hex = this.keys.hexOfBlobKey(key);
      if (hex) yield { digest: sha256Digest(hex), size };
    }
  }

  async ping(): Promise<void> {
    if (!(await this.bucket.exists())) {
      throw new Error(`S3 bucket ${this.bucket.name} does not exist at ${this.origin}`);
    }
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }

  /**
   * Copies a staged object to its digest's key when it matches, and removes the staged object either way.
   * A blob that is already stored is not copied again.
   */
  private async publish(stagingKey: string, info: BlobInfo, expectedDigest?: string): Promise<BlobInfo> {
    try {
      if (expectedDigest !== undefined && info.digest !== expectedDigest) {
        throw new DigestMismatchError(expectedDigest, info.digest);
      }
      const target = this.blobKeyOf(info.digest);
      if ((await this.bucket.sizeOf(target)) === undefined)
        await this.bucket.copy(stagingKey, target, info.size);
    } catch (error) {
      await this.removeAfterFailure(stagingKey);
      throw error;
    }
    await this.bucket.remove(stagingKey);
    return info;
  }

  /** Reads an object back through sha256: S3 joins parts without telling us the digest of the result. */
  private async measure(key: string): Promise<BlobInfo> {
    const body = await this.bucket.read(key);
    if (!body) throw new Error(`S3 object ${this.bucket.name}/${key} vanished before it was verified`);
    return ContentHasher.measure(body);
  }

  /**
   * Runs the last step of a session and removes the session when it succeeds or the bytes do not match;
   * other failures (S3 unreachable, say) leave it for a retry.
   */
  private async endingSession(uploadId: string, work: () => Promise<BlobInfo>): Promise<BlobInfo> {
    try {
      const info = await work();
      await this.sessions.remove(uploadId);
      return info;
    } catch (error) {
      if (error instanceof DigestMismatchError) await this.sessions.remove(uploadId);
      throw error;
    }
  }

  /** S3 would refuse these at completion with a bare EntityTooSmall; s3rver would not refuse them at all. */
  private assertPartSizes(uploadId: string, parts: readonly PartRecord[]): void {
    const small = parts.slice(0, -1).find((part) => part.size < this.minPartSize);
    if (small) {
      throw new RangeError(
        `upload ${uploadId}: part ${small.partNumber} has ${small.size} bytes, ` +
          `but every part except the last needs at least ${this.minPartSize}`,
      );
    }
  }

  private async discardMultipart(key: string, s3UploadId: string): Promise<void> {
    await this.bucket.abortMultipart(key, s3UploadId).catch((error: unknown) => {
      // NoSuchUpload: completed or aborted already. MethodNotAllowed: s3rver cannot abort; its leftover parts
      // are unreachable once the session is gone. Real S3 and MinIO abort normally.
      if (!hasCode(error, 'NoSuchUpload', 'MethodNotAllowed')) throw error;
    });
  }

  /** Best effort: the failure being reported matters more, and staged objects are never read as blobs. */
  private async removeAfterFailure(stagingKey: string): Promise<void> {
    await this.bucket.remove(stagingKey).catch(() => undefined);
  }

  private blobKeyOf(digest: string): string {
    const hex = sha256Hex(digest);
    if (!hex) throw new BlobNotFoundError(digest);
    return this.keys.blobKey(hex);
  }
}
