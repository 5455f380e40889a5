import { BlobStore } from '@wharf/ports';
import type { Queries } from '@wharf/runtime';
import { parseManifest, type BlobReference, type ParsedManifest } from '@wharf/oci';
import type { PlatformFilter } from '@wharf/contracts';
import type { RegistryClient } from '@wharf/registry-client';
import { forEachConcurrently } from './bounded-concurrency.js';
import { describePlatform, isPlatformKept } from './platform.filter.js';
import type { SyncProgress } from './sync.progress.js';

/** Where a sync downloads from: a client for the registry and the repository name there. */
export interface UpstreamRepository {
  readonly client: RegistryClient;
  readonly name: string;
  /** Blob downloads in flight at once. */
  readonly concurrency: number;
  /** The remote's platforms filter; null keeps every platform. */
  readonly platforms: readonly PlatformFilter[] | null;
}

/**
 * Brings manifests, with everything they reference, from an upstream repository into the blob store and
 * the content catalog, in the order the catalog needs: blobs before the manifests that reference them,
 * listed manifests before their list. One importer serves one sync, so what it did once it skips.
 *
 * Foreign (Docker) and non-distributable (OCI) layers are never downloaded, whatever the upstream serves:
 * their licence keeps them off mirrors, clients fetch them from the URLs in the manifest, and the catalog
 * does not count them among a manifest's references, so a version is complete without them. Pulp's remote
 * has no switch for this, so neither does Wharf's.
 */
export class UpstreamContentImporter {
  private readonly importedManifests = new Set<string>();
  private readonly recordedBlobs = new Set<string>();

  constructor(
    private readonly upstream: UpstreamRepository,
    private readonly blobs: BlobStore,
    private readonly queries: Queries,
    private readonly progress: SyncProgress,
  ) {}

  async importManifest(digest: string): Promise<void> {
    if (this.importedManifests.has(digest)) return;
    const { client, name } = this.upstream;
    const fetched = await client.getManifest(name, digest);
    const parsed = this.parse(fetched.bytes, fetched.mediaType, digest);
    this.refusePartialList(parsed, digest);
    this.progress.expect('manifests', parsed.manifestDigests.length);
    for (const child of parsed.manifestDigests) await this.importManifest(child);
    await this.importBlobs(parsed.blobs);
    await this.queries.ask('content.manifest.record', {
      bytes: fetched.bytes.toString('base64'),
      mediaType: fetched.mediaType,
    });
    this.importedManifests.add(digest);
    this.progress.advance('manifests');
    await this.progress.report();
  }

  /**
   * The content service keeps a list only with every manifest it lists, so a platforms filter that would
   * drop some of them cannot be honoured yet; failing says so, where syncing the whole list would quietly
   * download what the remote asked to leave out.
   */
  private refusePartialList(parsed: ParsedManifest, digest: string): void {
    const dropped = parsed.listed.filter((entry) => !isPlatformKept(entry.platform, this.upstream.platforms));
    if (dropped.length === 0) return;
    const platforms = dropped.map((entry) => describePlatform(entry.platform!)).join(', ');
    throw new Error(
      `manifest list ${this.upstream.name}@${digest} lists platforms the remote's platforms filter leaves out ` +
        `(${platforms}); keeping part of a manifest list is not supported yet, so clear the filter to sync it whole`,
    );
  }

  private parse(bytes: Buffer, mediaType: string, digest: string): ParsedManifest {
    try {
      return parseManifest(bytes, mediaType);
    } catch (error) {
      const manifest = `manifest ${this.upstream.name}@${digest} from ${this.upstream.client.registry}`;
      throw new Error(`${manifest}: ${reason(error)}`, { cause: error });
    }
  }

  private async importBlobs(references: readonly BlobReference[]): Promise<void> {
    const missing = references.filter((blob) => !this.recordedBlobs.has(blob.digest));
    this.progress.expect('blobs', missing.length);
    await forEachConcurrently(missing, this.upstream.concurrency, async (blob) => {
      const size = await this.storeBlob(blob.digest);
      await this.queries.ask('content.blob.record', { digest: blob.digest, size });
      this.recordedBlobs.add(blob.digest);
      this.progress.advance('blobs');
    });
  }

  /** The blob's size once the blob store holds it, downloading (streamed, verified) only when it does not. */
  private async storeBlob(digest: string): Promise<number> {
    const stored = await this.blobs.stat(digest);
    if (stored) return stored.size;
    const download = await this.upstream.client.getBlob(this.upstream.name, digest);
    // A small blob can arrive, and fail verification, before the blob store starts reading: an error event
    // with no listener would end the process. The store still sees the failure when it reads the stream.
    download.on('error', () => undefined);
    try {
      const { size } = await this.blobs.put(download, digest);
      this.progress.advance('bytes', size);
      return size;
    } catch (error) {
      // The download's own errors already name the blob, the registry and the cause.
      const downloadError = download.errored;
      download.destroy();
      if (downloadError) throw downloadError;
      const blob = `blob ${digest} from ${this.upstream.client.registry}/${this.upstream.name}`;
      throw new Error(`storing ${blob}: ${reason(error)}`, { cause: error });
    }
  }
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
