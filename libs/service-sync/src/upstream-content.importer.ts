import { BlobStore } from '@wharf/ports';
import { bytesSynced, type Queries } from '@wharf/runtime';
import { parseManifest, type ParsedManifest } from '@wharf/oci';
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
  // Imports in flight or done, by digest: many tags share manifests and base layers, and with manifests
  // imported concurrently each is still fetched, stored and recorded once.
  private readonly manifests = new Map<string, Promise<void>>();
  private readonly blobImports = new Map<string, Promise<void>>();

  constructor(
    private readonly upstream: UpstreamRepository,
    private readonly blobs: BlobStore,
    private readonly queries: Queries,
    private readonly progress: SyncProgress,
  ) {}

  /** Fetches, verifies and records the manifest with everything it references (children first). */
  importManifest(digest: string): Promise<void> {
    let pending = this.manifests.get(digest);
    if (!pending) {
      pending = this.fetchAndRecordManifest(digest);
      this.manifests.set(digest, pending);
    }
    return pending;
  }

  private async fetchAndRecordManifest(digest: string): Promise<void> {
    const { client, name, concurrency } = this.upstream;
    const fetched = await client.getManifest(name, digest);
    const parsed = this.parse(fetched.bytes, fetched.mediaType, digest);
    this.refusePartialList(parsed, digest);
    this.progress.expect('manifests', parsed.manifestDigests.length);
    await forEachConcurrently(parsed.manifestDigests, concurrency, (child) => this.importManifest(child));
    await forEachConcurrently(parsed.blobs, concurrency, (blob) => this.importBlob(blob.digest));
    bytesSynced.inc(fetched.bytes.length);
    await this.queries.ask('content.manifest.record', {
      bytes: fetched.bytes.toString('base64'),
      mediaType: fetched.mediaType,
    });
    this.progress.advance('manifests');
    await this.progress.report();
  }

  private importBlob(digest: string): Promise<void> {
    let pending = this.blobImports.get(digest);
    if (!pending) {
      this.progress.expect('blobs', 1);
      pending = (async () => {
        const size = await this.storeBlob(digest);
        await this.queries.ask('content.blob.record', { digest, size });
        this.progress.advance('blobs');
      })();
      this.blobImports.set(digest, pending);
    }
    return pending;
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
      bytesSynced.inc(size);
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
