import { BlobStore } from '@wharf/ports';
import { bytesSynced, type Queries, forEachConcurrently } from '@wharf/runtime';
import { parseManifest, type BlobReference, type ParsedManifest } from '@wharf/oci';
import type { OnDemandSource, PlatformFilter } from '@wharf/contracts';
import type { RegistryClient } from '@wharf/registry-client';
import { isPlatformKept } from './platform.filter.js';
import type { SyncProgress } from './sync.progress.js';

/** Where a sync downloads from: a client for the registry and the repository name there. */
export interface UpstreamRepository {
  readonly client: RegistryClient;
  readonly name: string;
  /** Blob downloads in flight at once. */
  readonly concurrency: number;
  /** The remote's platforms filter; null keeps every platform. */
  readonly platforms: readonly PlatformFilter[] | null;
  /** Download foreign and non-distributable layers too (from the upstream registry, like any blob). */
  readonly includeForeignLayers: boolean;
  /**
   * Policies on_demand and streamed: layers are recorded with this source instead of downloaded, and
   * fetched by the registry when pulled (and kept, for on_demand). Image configs are still downloaded: they are small, and the catalog reads a
   * manifest's labels and platform from its config when the manifest is recorded.
   */
  readonly onDemand?: OnDemandSource;
}

/**
 * Brings manifests, with everything they reference, from an upstream repository into the blob store and
 * the content catalog, in the order the catalog needs: blobs before the manifests that reference them,
 * listed manifests before their list. One importer serves one sync, so what it did once it skips. With
 * policy on_demand or streamed, layers are recorded with where to fetch them instead of downloaded (ADR 0012).
 *
 * Foreign (Docker) and non-distributable (OCI) layers are not downloaded unless the remote says so
 * (`include_foreign_layers`): their licence usually keeps them off mirrors, clients fetch them from the URLs
 * in the manifest, and the catalog does not count them among a manifest's references, so a version is
 * complete without them. When the remote includes them, they are fetched from the upstream registry like
 * any blob (one that does not hold them fails the sync naming the layer), and the sync adds them to the
 * version by name, since no manifest reference brings them.
 */
export class UpstreamContentImporter {
  // Imports in flight or done, by digest: many tags share manifests and base layers, and with manifests
  // imported concurrently each is still fetched, stored and recorded once.
  private readonly manifests = new Map<string, Promise<void>>();
  private readonly blobImports = new Map<string, Promise<void>>();
  private readonly leftOutManifests = new Set<string>();
  private readonly foreignLayerDigests = new Set<string>();

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
    const kept = this.keptListedManifests(parsed);
    this.progress.expect('manifests', kept.length);
    await forEachConcurrently(kept, concurrency, (child) => this.importManifest(child));
    const config = parsed.config?.digest;
    const foreign = this.upstream.includeForeignLayers ? parsed.foreignLayers : [];
    for (const layer of foreign) this.foreignLayerDigests.add(layer.digest);
    await forEachConcurrently([...parsed.blobs, ...foreign], concurrency, (blob) =>
      this.importBlob(blob, blob.digest !== config && this.upstream.onDemand !== undefined),
    );
    bytesSynced.inc(fetched.bytes.length);
    await this.queries.ask('content.manifest.record', {
      bytes: fetched.bytes.toString('base64'),
      mediaType: fetched.mediaType,
    });
    this.progress.advance('manifests');
    await this.progress.report();
  }

  /** Stores and records a blob, or with `later`, records it for the registry to fetch on first pull. */
  private importBlob(blob: BlobReference, later: boolean): Promise<void> {
    const { digest } = blob;
    let pending = this.blobImports.get(digest);
    if (!pending) {
      this.progress.expect('blobs', 1);
      pending = (async () => {
        if (later) await this.recordOnDemand(blob);
        else await this.queries.ask('content.blob.record', { digest, size: await this.storeBlob(digest) });
        this.progress.advance('blobs');
      })();
      this.blobImports.set(digest, pending);
    }
    return pending;
  }

  /**
   * A blob the blob store already holds (from any repository) is recorded as the local blob it is. Otherwise
   * the size comes from the manifest's descriptor, which the registry checks against the upstream's answer
   * when it fetches the bytes; schema 1 manifests give no sizes, so the upstream is asked with a HEAD.
   */
  private async recordOnDemand(blob: BlobReference): Promise<void> {
    const { digest } = blob;
    const stored = await this.blobs.stat(digest);
    if (stored) {
      await this.queries.ask('content.blob.record', { digest, size: stored.size });
      return;
    }
    const size = blob.size ?? (await this.upstreamSize(digest));
    await this.queries.ask('content.blob.record', { digest, size, onDemand: this.upstream.onDemand });
  }

  private async upstreamSize(digest: string): Promise<number> {
    const size = await this.upstream.client.headBlob(this.upstream.name, digest);
    if (size === undefined) {
      throw new Error(`blob ${digest} is not at ${this.upstream.client.registry}/${this.upstream.name}`);
    }
    return size;
  }

  /**
   * The manifests of a list the platforms filter keeps; the others are left out (ADR 0012). The list is
   * kept as the upstream serves it, so its digest still verifies and clients that pull a left-out platform
   * are told the manifest is unknown, which is what the filter asked for.
   */
  private keptListedManifests(parsed: ParsedManifest): string[] {
    const dropped = new Set(
      parsed.listed
        .filter((entry) => !isPlatformKept(entry.platform, this.upstream.platforms))
        .map((entry) => entry.digest),
    );
    for (const digest of dropped) this.leftOutManifests.add(digest);
    return parsed.manifestDigests.filter((digest) => !dropped.has(digest));
  }

  /** Foreign layers imported (with includeForeignLayers), which the version change must name itself. */
  foreignLayers(): string[] {
    return [...this.foreignLayerDigests];
  }

  /** Manifests lists listed that the platforms filter left out, so the version change leaves them out too. */
  leftOut(): string[] {
    return [...this.leftOutManifests].filter((digest) => !this.manifests.has(digest));
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
    // The blob store hashes what it stores and refuses bytes that do not match `digest`, so the download
    // only checks its length: hashing it there too would cost a second pass over every byte.
    const download = await this.upstream.client.getBlob(this.upstream.name, digest, { checkDigest: false });
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
