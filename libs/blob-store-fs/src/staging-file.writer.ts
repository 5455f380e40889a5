import { createWriteStream } from 'node:fs';
import { ContentHasher } from '@wharf/ports/adapter-kit';
import { pipeline } from 'node:stream/promises';
import type { BlobInfo } from '@wharf/ports';

/**
 * Streams a body into a new file (which must not exist yet), hashing it on the way, and flushes the file
 * to disk before returning so that the rename which publishes it cannot outlive the bytes after a crash.
 * On failure the partly written file stays; the caller owns the path and removes it.
 */
export async function writeStagingFile(path: string, body: AsyncIterable<unknown>): Promise<BlobInfo> {
  const hasher = new ContentHasher();
  await pipeline(hasher.pass(body), createWriteStream(path, { flags: 'wx', flush: true }));
  return hasher.result();
}
