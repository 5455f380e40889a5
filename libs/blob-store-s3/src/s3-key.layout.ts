import { randomUUID } from 'node:crypto';

const BLOB_HEX = /^[0-9a-f]{64}$/;
const PART_RECORD = /^(\d{5})\.json$/;

/**
 * The keys S3BlobStore uses in its bucket, all below one prefix:
 *
 *   <prefix>blobs/sha256/<hex>             verified objects, named by digest
 *   <prefix>staging/<random>               a put being received; copied to blobs/ once verified, then removed
 *   <prefix>staging/upload-<id>            the S3 multipart object of upload <id>: its parts, once joined, are
 *                                          verified here before the copy to blobs/
 *   <prefix>uploads/<id>/session.json      { s3UploadId, createdAt } of upload <id>
 *   <prefix>uploads/<id>/parts/00001.json  { size, etag } of each part S3 has accepted
 *
 * Nothing under staging/ is ever read as a blob; only a crash leaves objects there (a bucket lifecycle rule
 * on that prefix can expire them, and one aborting incomplete multipart uploads covers the rest).
 */
export class S3KeyLayout {
  readonly blobsPrefix: string;
  readonly uploadsPrefix: string;
  private readonly stagingPrefix: string;

  constructor(prefix: string) {
    const root = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    this.blobsPrefix = `${root}blobs/sha256/`;
    this.uploadsPrefix = `${root}uploads/`;
    this.stagingPrefix = `${root}staging/`;
  }

  blobKey(hex: string): string {
    return this.blobsPrefix + hex;
  }

  /** The hex digest a listed key under blobs/ stands for, or undefined for anything else. */
  hexOfBlobKey(key: string): string | undefined {
    const hex = key.slice(this.blobsPrefix.length);
    return key.startsWith(this.blobsPrefix) && BLOB_HEX.test(hex) ? hex : undefined;
  }

  newStagingKey(): string {
    return this.stagingPrefix + randomUUID();
  }

  joinedUploadKey(uploadId: string): string {
    return `${this.stagingPrefix}upload-${uploadId}`;
  }

  uploadPrefix(uploadId: string): string {
    return `${this.uploadsPrefix}${uploadId}/`;
  }

  sessionKey(uploadId: string): string {
    return `${this.uploadPrefix(uploadId)}session.json`;
  }

  partsPrefix(uploadId: string): string {
    return `${this.uploadPrefix(uploadId)}parts/`;
  }

  partRecordKey(uploadId: string, partNumber: number): string {
    return `${this.partsPrefix(uploadId)}${String(partNumber).padStart(5, '0')}.json`;
  }

  /** The part number a listed key under an upload's parts/ stands for, or undefined. */
  partNumberOfRecordKey(uploadId: string, key: string): number | undefined {
    const match = PART_RECORD.exec(key.slice(this.partsPrefix(uploadId).length));
    return match ? Number(match[1]) : undefined;
  }

  /** The upload id of a listed `uploads/<id>/` prefix. */
  uploadIdOfPrefix(prefix: string): string {
    return prefix.slice(this.uploadsPrefix.length).replace(/\/$/, '');
  }
}
