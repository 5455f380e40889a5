import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract as tarExtract } from 'tar-stream';
import type { BlobStore } from '@wharf/ports';
import type { Queries } from '@wharf/runtime';
import { manifestKey, tagKey, type UnitKey } from '@wharf/contracts';
import { isValidTag, MAX_MANIFEST_BYTES, parseManifest } from '@wharf/oci';
import { ARCHIVE_PART_PREFIX, CHECKSUMS_FILE } from './chunked-file.writer.js';
import { REF_NAME_ANNOTATION } from './oci-layout.exporter.js';
import type { TransferProgress } from './transfer.progress.js';

export type ImportStage = 'verifying' | 'blobs' | 'manifests';

interface IndexDescriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** What an import found: the unit keys the new version adds (tags and top-level manifests). */
export interface ImportedLayout {
  readonly add: readonly UnitKey[];
  readonly tags: number;
  readonly manifests: number;
  readonly blobs: number;
}

/** Files of a layout or of a chunked archive: a directory, or objects under a prefix. */
export interface LayoutFiles {
  /** For messages: the directory or `s3://bucket/prefix`. */
  readonly where: string;
  /** The file's bytes, or undefined when there is none. */
  read(name: string): Promise<Readable | undefined>;
  /** Names of the files directly in it that start with `prefix`. */
  names(prefix: string): Promise<string[]>;
}

const BLOB_ENTRY = /^(?:\.\/)?blobs\/(sha256|sha512)\/([0-9a-f]+)$/;

/**
 * Reads an OCI image layout (a directory, an `oci-archive` tar, or a chunked one with SHA256SUMS) into the
 * blob store and the catalog. Every blob is stored under the digest its path names, and the blob store
 * refuses bytes that do not hash to it; chunk checksums are all checked before anything is stored. Manifests
 * are recorded children first from `index.json`; tags come from `org.opencontainers.image.ref.name`.
 * Self-contained on purpose (the upload service's tarball import is separate work; see ADR 0017).
 */
export class OciLayoutImporter {
  private readonly sizes = new Map<string, number>();
  private readonly recorded = new Map<string, Promise<string>>();

  constructor(
    private readonly blobs: BlobStore,
    private readonly queries: Queries,
    private readonly progress: TransferProgress<ImportStage>,
  ) {}

  async fromDirectory(directory: LayoutFiles): Promise<ImportedLayout> {
    this.progress.skip('verifying');
    const where = directory.where;
    const indexFile = await directory.read('index.json');
    if (!indexFile) throw new Error(`${where} holds no index.json: not an OCI image layout`);
    const index = await readIndex(await readSmall(indexFile, 'index.json'), where);
    return this.record(index, async (digest) => {
      if (this.sizes.has(digest)) return;
      const { algorithm, hex } = splitDigest(digest);
      const blob = await directory.read(`blobs/${algorithm}/${hex}`);
      if (blob === undefined) throw new Error(`the layout at ${where} lacks ${digest}`);
      await this.store(blob, digest);
    });
  }

  /** A directory of `archive.tar.NNN` parts listed in SHA256SUMS, all checked before anything is read. */
  async fromChunks(directory: LayoutFiles): Promise<ImportedLayout> {
    return this.readArchive(await this.verifiedParts(directory), directory.where);
  }

  /** An `oci-archive` tar stream; `path` names it in messages. */
  async fromArchive(source: () => Readable, path: string): Promise<ImportedLayout> {
    this.progress.skip('verifying');
    return this.readArchive(source, path);
  }

  private async readArchive(source: () => Readable, path: string): Promise<ImportedLayout> {
    let indexBytes: Buffer | undefined;
    const extract = tarExtract();
    extract.on('entry', (header, stream, next) => {
      const name = header.name.replace(/^\.\//, '');
      const blob = BLOB_ENTRY.exec(name);
      const done = (error?: unknown) => (error ? next(error as Error) : next());
      if (blob && header.type === 'file') {
        this.store(stream as unknown as Readable, `${blob[1]}:${blob[2]}`).then(() => done(), done);
      } else if (name === 'index.json') {
        readSmall(stream as unknown as Readable, name).then((bytes) => {
          indexBytes = bytes;
          done();
        }, done);
      } else {
        stream.resume();
        stream.once('end', () => done());
      }
    });
    await pipeline(source(), extract);
    if (!indexBytes) throw new Error(`${path} holds no index.json: not an OCI image layout`);
    const index = await readIndex(indexBytes, path);
    return this.record(index, async (digest) => {
      if (!this.sizes.has(digest)) throw new Error(`${path} lacks ${digest}, which its index.json needs`);
    });
  }

  /** Checks every part against SHA256SUMS (read once), then returns their concatenation as a stream factory. */
  private async verifiedParts(files: LayoutFiles): Promise<() => Readable> {
    const directory = files.where;
    const sums = await files.read(CHECKSUMS_FILE);
    if (!sums) {
      throw new Error(`${directory} is a directory without ${CHECKSUMS_FILE}: not a chunked oci-archive`);
    }
    const listing = (await readSmall(sums, CHECKSUMS_FILE)).toString('utf8');
    const parts = listing
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => {
        const match = /^([0-9a-f]{64}) [ *](\S+)$/.exec(line);
        if (!match || !match[2]!.startsWith(ARCHIVE_PART_PREFIX) || match[2]!.includes('/')) {
          throw new Error(`${CHECKSUMS_FILE} in ${directory} has a line that is not "<sha256>  <part>"`);
        }
        return { sha256: match[1]!, name: match[2]! };
      });
    const present = (await files.names(ARCHIVE_PART_PREFIX)).sort();
    const listed = parts.map((part) => part.name).sort();
    if (present.join('\n') !== listed.join('\n')) {
      throw new Error(
        `the parts in ${directory} are not the ones ${CHECKSUMS_FILE} lists (one missing or extra)`,
      );
    }
    this.progress.start('verifying', parts.length);
    for (const part of parts) {
      const hash = createHash('sha256');
      await pipeline(await opened(files, part.name), hash);
      const actual = hash.digest('hex');
      if (actual !== part.sha256) {
        throw new Error(
          `part ${part.name} in ${directory} has sha256 ${actual}, ${CHECKSUMS_FILE} says ${part.sha256}`,
        );
      }
      this.progress.advance('verifying');
      await this.progress.report();
    }
    this.progress.complete('verifying');
    const ordered = [...parts].sort((a, b) => a.name.localeCompare(b.name));
    return () =>
      Readable.from(
        (async function* () {
          for (const part of ordered) yield* await opened(files, part.name);
        })(),
      );
  }

  private async store(stream: Readable, digest: string): Promise<void> {
    const { size } = await this.blobs.put(stream, digest);
    this.sizes.set(digest, size);
    this.progress.advance('blobs');
    await this.progress.report();
  }

  /** Records every manifest the index reaches (children first) and the blobs they need; the version's keys. */
  private async record(
    index: readonly IndexDescriptor[],
    ensureBlob: (digest: string) => Promise<void>,
  ): Promise<ImportedLayout> {
    this.progress.start('manifests', index.length);
    const add: UnitKey[] = [];
    let tags = 0;
    for (const descriptor of index) {
      const digest = await this.recordManifest(descriptor.digest, descriptor.mediaType, ensureBlob);
      add.push(manifestKey(digest));
      const tag = descriptor.annotations?.[REF_NAME_ANNOTATION];
      if (tag !== undefined) {
        add.push(tagKey(tag, digest));
        tags++;
      }
      this.progress.advance('manifests');
    }
    this.progress.complete('manifests', 'blobs');
    await this.progress.report(true);
    return { add, tags, manifests: this.recorded.size, blobs: this.sizes.size };
  }

  private recordManifest(
    bytesDigest: string,
    mediaType: string,
    ensureBlob: (digest: string) => Promise<void>,
  ): Promise<string> {
    let pending = this.recorded.get(bytesDigest);
    if (!pending) {
      pending = (async () => {
        await ensureBlob(bytesDigest);
        const bytes = await readSmall(await this.blobs.get(bytesDigest), bytesDigest);
        const parsed = parseManifest(bytes, mediaType);
        for (const child of parsed.listed)
          await this.recordManifest(child.digest, child.mediaType, ensureBlob);
        for (const blob of parsed.blobDigests) {
          await ensureBlob(blob);
          const size = this.sizes.get(blob) ?? (await this.blobs.stat(blob))!.size;
          await this.queries.ask('content.blob.record', { digest: blob, size });
        }
        const unit = await this.queries.ask('content.manifest.record', {
          bytes: bytes.toString('base64'),
          mediaType,
        });
        return unit.digest;
      })();
      this.recorded.set(bytesDigest, pending);
    }
    return pending;
  }
}

async function readIndex(bytes: Buffer, where: string): Promise<IndexDescriptor[]> {
  let index: { manifests?: unknown };
  try {
    index = JSON.parse(bytes.toString('utf8')) as { manifests?: unknown };
  } catch {
    throw new Error(`index.json of ${where} is not JSON`);
  }
  if (!Array.isArray(index.manifests)) throw new Error(`index.json of ${where} has no manifests list`);
  return index.manifests.map((entry: unknown, position) => {
    const d = entry as Partial<IndexDescriptor>;
    if (typeof d?.digest !== 'string' || typeof d.mediaType !== 'string') {
      throw new Error(`index.json of ${where}: entry ${position} is not a descriptor`);
    }
    splitDigest(d.digest);
    const tag = d.annotations?.[REF_NAME_ANNOTATION];
    if (tag !== undefined && !isValidTag(tag)) {
      throw new Error(`index.json of ${where}: ${JSON.stringify(tag)} is not a valid tag`);
    }
    return d as IndexDescriptor;
  });
}

async function opened(files: LayoutFiles, name: string): Promise<Readable> {
  const stream = await files.read(name);
  if (!stream) throw new Error(`${files.where} lost ${name} while it was read`);
  return stream;
}

function splitDigest(digest: string): { algorithm: string; hex: string } {
  const match = /^(sha256|sha512):([0-9a-f]+)$/.exec(digest);
  if (!match) throw new Error(`${JSON.stringify(digest)} is not a digest`);
  return { algorithm: match[1]!, hex: match[2]! };
}

/** Reads a manifest or index.json, which are small; refuses anything over the manifest limit. */
async function readSmall(stream: NodeJS.ReadableStream, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > MAX_MANIFEST_BYTES) throw new Error(`${what} is larger than ${MAX_MANIFEST_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
