import { ValidationError, type ChunkRange } from '@wharf/contracts';

/** S3's limit on part numbers, which every BlobStore adapter keeps. */
export const MAX_PARTS = 10_000;

/** The header chunk errors are reported under, so a client sees which of its inputs was wrong. */
const RANGE_FIELD = 'Content-Range';

export interface PlacedChunk extends ChunkRange {
  readonly partNumber: number;
}

/**
 * The smallest chunk an upload of `size` bytes accepts (except its last): the blob store's minimum part size
 * (5 MiB on S3), raised where needed so the upload fits in MAX_PARTS parts.
 *
 * Why chunks must reach it: each chunk becomes one multipart part, numbered by its offset
 * (`floor(start / partSize) + 1`), so chunks may arrive in any order and still join in offset order. Two
 * chunks at least `partSize` apart never share a number, and every part but the last is big enough for S3.
 */
export function partSizeFor(size: number, minPartSize: number): number {
  return Math.max(1, minPartSize, Math.ceil(size / MAX_PARTS));
}

/** Where a chunk goes, or a ValidationError saying why the upload cannot take it. */
export function placeChunk(
  uploadId: string,
  upload: { size: number; partSize: number; chunks: readonly PlacedChunk[] },
  range: ChunkRange,
  total: number,
): PlacedChunk {
  const refuse = (problem: string): never => {
    throw new ValidationError({ [RANGE_FIELD]: [`upload ${uploadId}: ${problem}`] });
  };
  if (total !== upload.size) refuse(`the range's total ${total} is not the upload's size ${upload.size}`);
  if (range.start > range.end || range.end >= upload.size) {
    refuse(`bytes ${range.start}-${range.end} do not lie within its ${upload.size} bytes`);
  }
  const length = range.end - range.start + 1;
  const isLast = range.end === upload.size - 1;
  if (!isLast && length < upload.partSize) {
    refuse(
      `chunk ${range.start}-${range.end} has ${length} bytes; every chunk but the last needs at least ` +
        `${upload.partSize}`,
    );
  }
  const overlapping = upload.chunks.find(
    (c) => c.start <= range.end && range.start <= c.end && (c.start !== range.start || c.end !== range.end),
  );
  if (overlapping) {
    refuse(
      `chunk ${range.start}-${range.end} overlaps the chunk ${overlapping.start}-${overlapping.end} already received`,
    );
  }
  return { ...range, partNumber: Math.floor(range.start / upload.partSize) + 1 };
}

/** The first gap in the received chunks, or undefined when they cover every byte of the upload. */
export function missingBytes(size: number, chunks: readonly ChunkRange[]): ChunkRange | undefined {
  let next = 0;
  for (const chunk of [...chunks].sort((a, b) => a.start - b.start)) {
    if (chunk.start > next) return { start: next, end: chunk.start - 1 };
    next = chunk.end + 1;
  }
  return next < size ? { start: next, end: size - 1 } : undefined;
}
