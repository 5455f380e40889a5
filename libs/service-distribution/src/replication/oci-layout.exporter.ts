import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack as tarPack } from 'tar-stream';
import { parseDigest } from '@wharf/oci';
import type { TransferProgress } from './transfer.progress.js';
import type { VersionContent, VersionContentReader } from './version-content.reader.js';

/** The annotation OCI image layouts name a tagged manifest with (skopeo's `oci:<dir>:<tag>`). */
export const REF_NAME_ANNOTATION = 'org.opencontainers.image.ref.name';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const LAYOUT_FILE = JSON.stringify({ imageLayoutVersion: '1.0.0' });

export type ExportStage = 'manifests' | 'blobs' | 'bytes';

interface LayoutEntry {
  /** blobs/<algorithm>/<hex> */
  readonly path: string;
  readonly size: number;
  readonly open: () => Promise<NodeJS.ReadableStream>;
}

/**
 * Writes a repository version as an OCI image layout (image-spec `image-layout.md`): `oci-layout`,
 * `index.json` with one descriptor per tag (named by `org.opencontainers.image.ref.name`) and one per
 * untagged manifest, and every manifest and blob under `blobs/<algorithm>/<hex>`, each streamed from the
 * blob store. As a directory or as one tar stream (`oci-archive`).
 */
export class OciLayoutExporter {
  constructor(
    private readonly reader: VersionContentReader,
    private readonly progress: TransferProgress<ExportStage>,
  ) {}

  /**
   * The layout as separate files (a directory, or objects under a prefix), `index.json` last: a reader that
   * finds it finds every blob it names.
   */
  async toFiles(content: VersionContent, create: (path: string) => Promise<Writable>): Promise<void> {
    const text = async (path: string, value: string) =>
      pipeline(Readable.from([Buffer.from(value)]), await create(path));
    await text('oci-layout', LAYOUT_FILE);
    for (const entry of this.entries(content)) {
      await pipeline(await entry.open(), await create(entry.path));
      await this.advance(content, entry);
    }
    await text('index.json', this.index(content));
  }

  async toArchive(content: VersionContent, sink: Writable): Promise<void> {
    const tar = tarPack();
    const written = pipeline(tar, sink);
    written.catch(() => undefined);
    const add = (name: string, text: string) =>
      new Promise<void>((resolve, reject) => tar.entry({ name }, text, (e) => (e ? reject(e) : resolve())));
    try {
      await add('oci-layout', LAYOUT_FILE);
      await add('index.json', this.index(content));
      for (const entry of this.entries(content)) {
        // Opened before its tar entry exists: an entry nobody pipes into would, once the tar is destroyed,
        // raise its error with no listener (an uncaught exception) when a blob cannot be read.
        const source = await entry.open();
        await new Promise<void>((resolve, reject) => {
          const target = tar.entry({ name: entry.path, size: entry.size }, (e) =>
            e ? reject(e) : resolve(),
          );
          pipeline(source, target).catch(reject);
        });
        await this.advance(content, entry);
      }
      tar.finalize();
    } catch (error) {
      // Closes the sink too, so no half-written file stays open.
      tar.destroy(error as Error);
      await written.catch(() => undefined);
      throw error;
    }
    await written;
  }

  private index(content: VersionContent): string {
    const descriptor = (digest: string) => {
      const manifest = content.manifests.get(digest)!;
      return { mediaType: manifest.mediaType, digest: manifest.bytesDigest, size: manifest.size };
    };
    const tagged = new Set(content.tags.map((tag) => tag.digest));
    // Manifests listed by an index come along with it; other untagged ones (signatures, SBOMs) get a
    // descriptor of their own so that the export holds the whole version.
    const listed = new Set([...content.manifests.values()].flatMap((m) => m.manifests));
    const untagged = [...content.manifests.keys()].filter((d) => !tagged.has(d) && !listed.has(d)).sort();
    const manifests = [
      ...[...content.tags]
        .sort((a, b) => a.name.localeCompare(b.name))
        .map((tag) => ({ ...descriptor(tag.digest), annotations: { [REF_NAME_ANNOTATION]: tag.name } })),
      ...untagged.map(descriptor),
    ];
    return JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests });
  }

  private *entries(content: VersionContent): Generator<LayoutEntry & { manifest: boolean }> {
    const seen = new Set<string>();
    for (const manifest of content.manifests.values()) {
      if (seen.has(manifest.bytesDigest)) continue;
      seen.add(manifest.bytesDigest);
      yield {
        path: blobPath(manifest.bytesDigest),
        size: manifest.size,
        open: () => this.reader.blob(manifest.bytesDigest),
        manifest: true,
      };
    }
    for (const [digest, size] of content.blobs) {
      if (seen.has(digest)) continue;
      seen.add(digest);
      yield { path: blobPath(digest), size, open: () => this.reader.blob(digest), manifest: false };
    }
  }

  private async advance(_content: VersionContent, entry: LayoutEntry & { manifest: boolean }) {
    this.progress.advance(entry.manifest ? 'manifests' : 'blobs');
    this.progress.advance('bytes', entry.size);
    await this.progress.report();
  }
}

export function blobPath(digest: string): string {
  const { algorithm, encoded } = parseDigest(digest);
  return `blobs/${algorithm}/${encoded}`;
}
