import { randomUUID } from 'node:crypto';

/** S3's limit, kept by every adapter so callers see the same rules whatever the backend. */
export const MAX_PART_NUMBER = 10_000;

const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function newUploadId(): string {
  return randomUUID();
}

/** Upload ids come from clients and name directories, so only ids this store could have issued pass. */
export function isUploadId(uploadId: string): boolean {
  return UPLOAD_ID.test(uploadId);
}

export function assertPartNumber(uploadId: string, partNumber: number): void {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    throw new RangeError(
      `upload ${uploadId}: part number ${partNumber} is not an integer in 1..${MAX_PART_NUMBER}`,
    );
  }
}
