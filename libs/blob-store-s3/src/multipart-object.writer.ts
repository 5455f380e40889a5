import { createHash } from 'node:crypto';
import type { CompletedPart, S3Bucket } from './s3-bucket.client.js';

const MAX_PARTS = 10_000;

/**
 * Writes a body of unknown length to `key` with memory bounded by `partSize`: a body shorter than one part
 * goes up in a single PUT, a longer one as a multipart upload of `partSize` pieces. The largest object it
 * can write is 10,000 parts.
 */
export async function writeObjectInParts(
  bucket: S3Bucket,
  key: string,
  body: AsyncIterable<Uint8Array>,
  partSize: number,
): Promise<void> {
  const pieces = piecesOf(body, partSize)[Symbol.asyncIterator]();
  const first = await pieces.next();
  const head = first.done ? Buffer.alloc(0) : first.value;
  if (head.length < partSize) {
    await bucket.putBuffer(key, head);
    return;
  }

  const uploadId = await bucket.startMultipart(key);
  try {
    const parts: CompletedPart[] = [];
    for (let piece: IteratorResult<Buffer> = first; !piece.done; piece = await pieces.next()) {
      const part = parts.length + 1;
      if (part > MAX_PARTS) throw new Error(`object ${key} exceeds ${MAX_PARTS} parts of ${partSize} bytes`);
      const content = piece.value;
      const etag = await bucket.uploadPart(key, uploadId, part, {
        size: content.length,
        sha256Hex: createHash('sha256').update(content).digest('hex'),
        open: () => content,
      });
      parts.push({ part, etag });
    }
    await bucket.completeMultipart(key, uploadId, parts);
  } catch (error) {
    await pieces.return?.(undefined);
    await bucket.abortMultipart(key, uploadId).catch(() => undefined); // the write error matters more
    throw error;
  }
}

/** Regroups a body into pieces of exactly `size` bytes, the last one possibly shorter. */
async function* piecesOf(body: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Buffer> {
  let pending: Uint8Array[] = [];
  let pendingSize = 0;
  for await (const chunk of body) {
    let rest = chunk;
    while (pendingSize + rest.length >= size) {
      const take = size - pendingSize;
      yield Buffer.concat([...pending, rest.subarray(0, take)]);
      pending = [];
      pendingSize = 0;
      rest = rest.subarray(take);
    }
    if (rest.length > 0) {
      pending.push(rest);
      pendingSize += rest.length;
    }
  }
  if (pendingSize > 0) yield Buffer.concat(pending);
}
