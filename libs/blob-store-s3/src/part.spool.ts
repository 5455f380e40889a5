import { createReadStream, createWriteStream } from 'node:fs';
import { ContentHasher } from '@wharf/ports/adapter-kit';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SizedBody } from './s3-bucket.client.js';

/**
 * Holds one upload part until its length is known: S3's UploadPart needs a Content-Length and takes no
 * chunked bodies, while callers stream parts of unknown length. Parts up to `memoryLimit` stay in memory;
 * a larger one continues into a temporary file, so memory stays bounded whatever a client sends.
 */
export class PartSpool implements SizedBody {
  private constructor(
    readonly size: number,
    readonly sha256Hex: string,
    private readonly held: Buffer | { readonly dir: string; readonly file: string },
  ) {}

  static async fill(body: AsyncIterable<unknown>, memoryLimit: number): Promise<PartSpool> {
    const hasher = new ContentHasher();
    const chunks = hasher.pass(body)[Symbol.asyncIterator]();
    const head: Uint8Array[] = [];
    let headSize = 0;
    let next = await chunks.next();
    while (!next.done && headSize + next.value.length <= memoryLimit) {
      head.push(next.value);
      headSize += next.value.length;
      next = await chunks.next();
    }
    if (next.done) return PartSpool.measured(hasher, Buffer.concat(head));

    const dir = await mkdtemp(join(tmpdir(), 'wharf-s3-part-'));
    const file = join(dir, 'part');
    const overflow = next.value;
    // Delegating with yield* lets a failed write end the caller's body too, not just this generator.
    const rest: AsyncIterable<Uint8Array> = { [Symbol.asyncIterator]: () => chunks };
    try {
      // 1 MiB, not Node's 16 KiB: chunks gather while a write is under way and go down in one writev.
      await pipeline(
        async function* () {
          yield* head;
          yield overflow;
          yield* rest;
        },
        createWriteStream(file, { highWaterMark: 1 << 20 }),
      );
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    return PartSpool.measured(hasher, { dir, file });
  }

  private static measured(hasher: ContentHasher, held: PartSpool['held']): PartSpool {
    const { digest, size } = hasher.result();
    return new PartSpool(size, digest.slice('sha256:'.length), held);
  }

  open(): Buffer | Readable {
    return Buffer.isBuffer(this.held) ? this.held : createReadStream(this.held.file);
  }

  /** Removes the temporary file, if the part needed one. */
  async dispose(): Promise<void> {
    if (!Buffer.isBuffer(this.held)) await rm(this.held.dir, { recursive: true, force: true });
  }
}
