import { createWriteStream } from 'node:fs';
import type { Hash } from 'node:crypto';
import { ContentHasher } from '@wharf/ports/adapter-kit';
import { pipeline } from 'node:stream/promises';
import type { BlobInfo } from '@wharf/ports';

/**
 * How many bytes a file write stream takes in before it pushes back: while one write is under way the
 * chunks behind it gather and go to disk in one writev. Node's 16 KiB default made a download arriving in
 * 8 KiB network chunks cost one write (and one thread-pool round trip) per chunk: five times the CPU.
 */
const WRITE_BUFFER = { highWaterMark: 1 << 20 };

/**
 * Streams a body into a new file (which must not exist yet), hashing it on the way, and flushes the file
 * to disk before returning so that the rename which publishes it cannot outlive the bytes after a crash.
 * On failure the partly written file stays; the caller owns the path and removes it.
 */
export async function writeStagingFile(path: string, body: AsyncIterable<unknown>): Promise<BlobInfo> {
  const hasher = new ContentHasher();
  await pipeline(hasher.pass(body), createWriteStream(path, { flags: 'wx', flush: true, ...WRITE_BUFFER }));
  return hasher.result();
}

/**
 * Like writeStagingFile, for a multipart part: a part needs no digest of its own, so its bytes are fed to
 * `hash` (the running hash of the parts before it) when there is one, and not hashed at all otherwise; and
 * the caller decides whether the file is flushed. Returns the number of bytes written.
 */
export async function writePartFile(
  path: string,
  body: AsyncIterable<unknown>,
  hash: Hash | undefined,
  { flush }: { flush: boolean },
): Promise<number> {
  let size = 0;
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const chunk of body) {
      const bytes = asBytes(chunk);
      hash?.update(bytes);
      size += bytes.length;
      yield bytes;
    }
  }
  await pipeline(counted(), createWriteStream(path, { flags: 'wx', flush, ...WRITE_BUFFER }));
  return size;
}

// A Readable yields strings once someone has called setEncoding on it; anything else is a caller bug.
function asBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk);
  throw new TypeError(`a blob body must yield bytes, got ${typeof chunk}`);
}
