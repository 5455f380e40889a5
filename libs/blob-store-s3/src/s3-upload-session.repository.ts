import { UploadNotFoundError, type UploadPart, type UploadStatus } from '@wharf/ports';
import { isUploadId } from '@wharf/ports/adapter-kit';
import type { CompletedPart, S3Bucket } from './s3-bucket.client.js';
import type { S3KeyLayout } from './s3-key.layout.js';

export interface UploadSession {
  /** The id S3 gave the multipart upload behind this session. */
  readonly s3UploadId: string;
  readonly createdAt: string;
}

export interface PartRecord extends UploadPart {
  readonly etag: string;
}

/** Reads of small records run this many at a time, so a session with many parts is not read one by one. */
const READ_CONCURRENCY = 16;

/**
 * Upload sessions kept as small JSON objects in the bucket, so any process can pick one up after a restart.
 *
 * The parts S3 holds are recorded here too, rather than asked of S3 with ListParts: s3rver (the test server)
 * does not implement ListParts, and a record per part works the same on every S3.
 */
export class S3UploadSessionRepository {
  constructor(
    private readonly bucket: S3Bucket,
    private readonly keys: S3KeyLayout,
  ) {}

  async create(uploadId: string, session: UploadSession): Promise<void> {
    await this.bucket.writeJson(this.keys.sessionKey(uploadId), session);
  }

  /** The session, or UploadNotFoundError for an id that was never issued or has ended. */
  async read(uploadId: string): Promise<UploadSession> {
    const session = isUploadId(uploadId)
      ? await this.bucket.readJson<UploadSession>(this.keys.sessionKey(uploadId))
      : undefined;
    if (!session) throw new UploadNotFoundError(uploadId);
    return session;
  }

  async recordPart(uploadId: string, part: PartRecord): Promise<void> {
    await this.bucket.writeJson(this.keys.partRecordKey(uploadId, part.partNumber), part);
  }

  async forgetPart(uploadId: string, partNumber: number): Promise<void> {
    await this.bucket.remove(this.keys.partRecordKey(uploadId, partNumber));
  }

  /** The recorded parts in part-number order. */
  async parts(uploadId: string): Promise<PartRecord[]> {
    const recordKeys: string[] = [];
    for await (const { key } of this.bucket.list(this.keys.partsPrefix(uploadId))) {
      if (this.keys.partNumberOfRecordKey(uploadId, key) !== undefined) recordKeys.push(key);
    }
    const records = await mapConcurrently(recordKeys, READ_CONCURRENCY, (key) =>
      this.bucket.readJson<PartRecord>(key),
    );
    return records
      .filter((record): record is PartRecord => record !== undefined) // replaced meanwhile
      .sort((a, b) => a.partNumber - b.partNumber);
  }

  async status(uploadId: string): Promise<UploadStatus> {
    const session = await this.read(uploadId);
    return statusOf(uploadId, session, await this.parts(uploadId));
  }

  /** Every session's id, whatever its state. */
  async *ids(): AsyncGenerator<string> {
    for await (const prefix of this.bucket.listPrefixes(this.keys.uploadsPrefix)) {
      yield this.keys.uploadIdOfPrefix(prefix);
    }
  }

  /**
   * Removes a session's records. session.json goes last, so a crash part-way leaves a session that
   * listUploads still finds and expiry removes again.
   */
  async remove(uploadId: string): Promise<void> {
    const sessionKey = this.keys.sessionKey(uploadId);
    const partRecords: string[] = [];
    for await (const { key } of this.bucket.list(this.keys.uploadPrefix(uploadId))) {
      if (key !== sessionKey) partRecords.push(key);
    }
    // One record is kept out of the batch: s3rver deletes a batch's keys in parallel and then races itself
    // removing the directory they emptied (a 500 the client retries only after a pause). On S3 this costs
    // one request.
    const lastRecord = partRecords.pop();
    await this.bucket.removeAll(partRecords);
    if (lastRecord) await this.bucket.remove(lastRecord);
    await this.bucket.remove(sessionKey);
  }
}

export function statusOf(
  uploadId: string,
  session: UploadSession,
  records: readonly PartRecord[],
): UploadStatus {
  const parts = records.map(({ partNumber, size }) => ({ partNumber, size }));
  const size = parts.reduce((sum, part) => sum + part.size, 0);
  return { uploadId, parts, size, createdAt: new Date(session.createdAt) };
}

export function completedParts(records: readonly PartRecord[]): CompletedPart[] {
  return records.map(({ partNumber, etag }) => ({ part: partNumber, etag }));
}

async function mapConcurrently<T, R>(
  items: readonly T[],
  limit: number,
  map: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < items.length; index = next++) results[index] = await map(items[index]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
