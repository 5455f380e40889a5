import { createHash, type Hash } from 'node:crypto';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

/** The file chunked exports list their parts in, in `sha256sum -c` format. */
export const CHECKSUMS_FILE = 'SHA256SUMS';
export const ARCHIVE_PART_PREFIX = 'archive.tar.';

export function partName(index: number): string {
  return `${ARCHIVE_PART_PREFIX}${String(index).padStart(3, '0')}`;
}

/** Opens a stream that writes one file (or object) of a chunked export. */
export type CreateFile = (name: string) => Writable;

/**
 * Writes a byte stream into a directory (or under an object prefix) as files of at most `chunkSize` bytes (`archive.tar.000`, `.001`, …;
 * `cat archive.tar.* > x.tar` restores it), hashing each as it goes, and on finish writes SHA256SUMS. For
 * removable media of a given size; memory holds one write at a time (plus what the file's stream buffers).
 */
export class ChunkedFileWriter extends Writable {
  private readonly sums: string[] = [];
  private part?: { stream: Writable; hash: Hash; written: number; name: string };

  constructor(
    private readonly create: CreateFile,
    private readonly chunkSize: number,
  ) {
    super();
  }

  override async _write(chunk: Buffer, _encoding: string, callback: (error?: Error | null) => void) {
    try {
      let offset = 0;
      while (offset < chunk.length) {
        const part = this.part ?? this.openPart();
        const take = Math.min(chunk.length - offset, this.chunkSize - part.written);
        const slice = chunk.subarray(offset, offset + take);
        part.hash.update(slice);
        part.written += take;
        offset += take;
        if (!part.stream.write(slice)) await new Promise<void>((r) => part.stream.once('drain', () => r()));
        if (part.written === this.chunkSize) await this.closePart();
      }
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override async _final(callback: (error?: Error | null) => void) {
    try {
      if (this.part) await this.closePart();
      const sums = this.create(CHECKSUMS_FILE);
      sums.end(this.sums.join(''));
      await finished(sums);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  private openPart() {
    const name = partName(this.sums.length);
    const stream = this.create(name);
    // A failing disk (full, removed) fails the export instead of going unheard.
    stream.on('error', (error) => this.destroy(error));
    this.part = {
      stream,
      hash: createHash('sha256'),
      written: 0,
      name,
    };
    return this.part;
  }

  private async closePart() {
    const part = this.part!;
    this.part = undefined;
    part.stream.end();
    await finished(part.stream);
    this.sums.push(`${part.hash.digest('hex')}  ${part.name}\n`);
  }
}
