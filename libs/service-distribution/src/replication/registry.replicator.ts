import { forEachConcurrently } from '@wharf/runtime';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ProgressReport } from '@wharf/contracts';
import { RegistryError, type RegistryClient } from '@wharf/registry-client';
import { TransferProgress } from './transfer.progress.js';
import type { VersionContent, VersionContentReader, VersionManifest } from './version-content.reader.js';

/** Where a version is pushed: a registry (its client carries URL, credentials and TLS) and a repository there. */
export interface ReplicationDestination {
  readonly client: RegistryClient;
  readonly name: string;
}

export interface ReplicationOptions {
  /** Remove destination tags the version does not hold. */
  readonly mirror: boolean;
  /** Blob and manifest pushes in flight at once. */
  readonly concurrency: number;
  /** Blobs larger than this go up in chunks of this size (PATCH per chunk); default: one request each. */
  readonly chunkSize?: number;
  /** Repositories of the destination registry to try a cross-repository mount from before uploading. */
  readonly mountFrom?: readonly string[];
  /**
   * Attempts per blob upload (default 3). The registry client retries what it can send twice, but not a
   * streamed body: an upload that fails transiently (5xx, 429, broken connection) is started again here, from
   * a fresh stream of the blob store.
   */
  readonly blobAttempts?: number;
  /** First delay between blob upload attempts, doubled each time (default 500 ms). */
  readonly retryDelayMs?: number;
}

export interface ReplicationResult {
  readonly tags: number;
  readonly tagsPushed: number;
  readonly manifestsPushed: number;
  readonly blobsPushed: number;
  readonly blobsMounted: number;
  readonly bytesPushed: number;
  readonly tagsRemoved: readonly string[];
  /** Destination tags mirror mode had to leave, each with the reason. */
  readonly tagsKept: readonly string[];
}

export type ReplicationStage = 'tags' | 'manifests' | 'blobs' | 'bytes' | 'removing';

export function replicationProgress(
  send?: (reports: readonly ProgressReport[]) => Promise<void>,
): TransferProgress<ReplicationStage> {
  return new TransferProgress<ReplicationStage>(
    {
      tags: { message: 'Pushing tags', code: 'replicate.pushing.tags' },
      manifests: { message: 'Pushing manifests', code: 'replicate.pushing.manifests' },
      blobs: { message: 'Pushing blobs', code: 'replicate.pushing.blobs' },
      bytes: { message: 'Pushing bytes', code: 'replicate.pushing.bytes' },
      removing: { message: 'Removing tags', code: 'replicate.removing.tags' },
    },
    send,
  );
}

/**
 * Pushes one repository version to one destination repository. Every step first asks the destination
 * whether it has what the step would send (HEAD on a manifest or blob), so a run repeated after success
 * costs a HEAD per tag, and a run repeated after a failure half way sends only what is still missing: a
 * registry accepts a manifest only once everything it references is there, so a manifest it holds stands
 * for its whole tree. Order: listed manifests before their list, blobs before the manifest, the tag after
 * its manifest; manifests no tag points at are pushed by digest.
 */
export class RegistryReplicator {
  private readonly manifestPushes = new Map<string, Promise<void>>();
  private readonly blobPushes = new Map<string, Promise<void>>();
  private manifestsPushed = 0;
  private blobsPushed = 0;
  private blobsMounted = 0;

  constructor(
    private readonly content: VersionContentReader,
    private readonly destination: ReplicationDestination,
    private readonly options: ReplicationOptions,
    private readonly progress: TransferProgress<ReplicationStage> = replicationProgress(),
  ) {}

  async replicate(version: VersionContent): Promise<ReplicationResult> {
    const { client, name } = this.destination;
    this.progress.start('tags', version.tags.length);
    this.progress.start('manifests', version.manifests.size);
    this.progress.start('blobs', version.blobs.size);
    this.progress.start('bytes');
    await this.progress.report(true);
    let tagsPushed = 0;
    await forEachConcurrently(version.tags, this.options.concurrency, async (tag) => {
      const present = await client.headManifest(name, tag.name);
      if (present?.digest === tag.digest) {
        this.alreadyThere(version, tag.digest);
      } else {
        const manifest = this.manifestOf(version, tag.digest);
        await this.pushManifest(version, manifest);
        await client.putManifest(
          name,
          tag.name,
          await this.content.manifestBytes(manifest),
          manifest.mediaType,
        );
        tagsPushed++;
      }
      this.progress.advance('tags');
      await this.progress.report();
    });
    // Untagged manifests (signatures, SBOMs, manifests kept by digest) go too: the version holds them.
    await forEachConcurrently(version.manifests.values(), this.options.concurrency, (manifest) =>
      this.pushManifest(version, manifest),
    );
    this.progress.complete('tags', 'manifests', 'blobs', 'bytes');
    await this.progress.report(true);
    const { removed, kept } = this.options.mirror
      ? await this.removeOtherTags(version)
      : { removed: [], kept: [] };
    return {
      tags: version.tags.length,
      tagsPushed,
      manifestsPushed: this.manifestsPushed,
      blobsPushed: this.blobsPushed,
      blobsMounted: this.blobsMounted,
      bytesPushed: this.progress.done('bytes'),
      tagsRemoved: removed,
      tagsKept: kept,
    };
  }

  /**
   * A manifest the destination holds stands for its whole tree (a registry accepts a manifest only once
   * what it references is there): marks the tree done without asking about each part.
   */
  private alreadyThere(version: VersionContent, digest: string): void {
    if (this.manifestPushes.has(digest)) return;
    this.manifestPushes.set(digest, Promise.resolve());
    this.progress.advance('manifests');
    const manifest = this.manifestOf(version, digest);
    for (const child of manifest.manifests) this.alreadyThere(version, child);
    for (const blob of manifest.blobs) {
      if (this.blobPushes.has(blob)) continue;
      this.blobPushes.set(blob, Promise.resolve());
      this.progress.advance('blobs');
    }
  }

  /** Pushes a manifest with everything it references, once per run however many tags share it. */
  private pushManifest(version: VersionContent, manifest: VersionManifest): Promise<void> {
    let pending = this.manifestPushes.get(manifest.digest);
    if (!pending) {
      pending = this.sendManifest(version, manifest);
      this.manifestPushes.set(manifest.digest, pending);
    }
    return pending;
  }

  private async sendManifest(version: VersionContent, manifest: VersionManifest): Promise<void> {
    const { client, name } = this.destination;
    if ((await client.headManifest(name, manifest.digest)) === undefined) {
      const children = manifest.manifests.map((digest) => this.manifestOf(version, digest));
      await forEachConcurrently(children, this.options.concurrency, (child) =>
        this.pushManifest(version, child),
      );
      await forEachConcurrently(manifest.blobs, this.options.concurrency, (digest) =>
        this.pushBlob(version, digest),
      );
      await client.putManifest(
        name,
        manifest.digest,
        await this.content.manifestBytes(manifest),
        manifest.mediaType,
      );
      this.manifestsPushed++;
    }
    this.progress.advance('manifests');
    await this.progress.report();
  }

  private pushBlob(version: VersionContent, digest: string): Promise<void> {
    let pending = this.blobPushes.get(digest);
    if (!pending) {
      pending = this.sendBlob(digest, this.blobSize(version, digest));
      this.blobPushes.set(digest, pending);
    }
    return pending;
  }

  private async sendBlob(digest: string, size: number): Promise<void> {
    const { client, name } = this.destination;
    if (!(await client.blobExists(name, digest))) {
      if (!(await this.mount(digest))) {
        const { chunkSize } = this.options;
        await this.retrying(async () => {
          if (chunkSize !== undefined && size > chunkSize) {
            await client.uploadBlobInChunks(name, digest, size, chunkSize, (start, end) =>
              this.content.blob(digest, { start, end }),
            );
          } else {
            await client.uploadBlob(name, digest, size, await this.content.blob(digest));
          }
        });
        this.blobsPushed++;
        this.progress.advance('bytes', size);
      }
    }
    this.progress.advance('blobs');
    await this.progress.report();
  }

  private async retrying(upload: () => Promise<void>): Promise<void> {
    const attempts = this.options.blobAttempts ?? 3;
    for (let attempt = 1; ; attempt++) {
      try {
        return await upload();
      } catch (error) {
        if (attempt >= attempts || !isTransient(error)) throw error;
        await sleep((this.options.retryDelayMs ?? 500) * 2 ** (attempt - 1));
      }
    }
  }

  /** A cross-repository mount from the first configured repository that has the blob; no bytes travel. */
  private async mount(digest: string): Promise<boolean> {
    const { client, name } = this.destination;
    for (const from of this.options.mountFrom ?? []) {
      if (from === name || !(await client.blobExists(from, digest))) continue;
      if (await client.mountBlob(name, digest, from)) {
        this.blobsMounted++;
        return true;
      }
    }
    return false;
  }

  /**
   * Mirror mode: destination tags the version lacks go. The distribution API deletes manifests, not tags,
   * so a tag is removed by deleting the manifest it points at, which only happens when nothing the version
   * holds is that manifest; otherwise the tag stays and the result says why.
   */
  private async removeOtherTags(version: VersionContent): Promise<{ removed: string[]; kept: string[] }> {
    const { client, name } = this.destination;
    const wanted = new Set(version.tags.map((tag) => tag.name));
    const others: string[] = [];
    for await (const tag of client.listTags(name)) if (!wanted.has(tag)) others.push(tag);
    this.progress.start('removing', others.length);
    const removed: string[] = [];
    const kept: string[] = [];
    for (const tag of others) {
      const head = await client.headManifest(name, tag);
      if (head === undefined) {
        removed.push(tag);
      } else if (version.manifests.has(head.digest)) {
        kept.push(`${tag}: points at ${head.digest}, which the version holds under another name`);
      } else {
        try {
          await client.deleteManifest(name, head.digest);
          removed.push(tag);
        } catch (error) {
          if (!(error instanceof RegistryError) || ![400, 403, 405].includes(error.status ?? 0)) throw error;
          kept.push(
            `${tag}: the destination refused to delete ${head.digest} (${error.code ?? error.status})`,
          );
        }
      }
      this.progress.advance('removing');
    }
    this.progress.complete('removing');
    await this.progress.report(true);
    return { removed, kept };
  }

  private manifestOf(version: VersionContent, digest: string): VersionManifest {
    const manifest = version.manifests.get(digest);
    if (!manifest) throw new Error(`manifest ${digest} is referenced but not in the version`);
    return manifest;
  }

  private blobSize(version: VersionContent, digest: string): number {
    const size = version.blobs.get(digest);
    if (size === undefined) throw new Error(`blob ${digest} is referenced but not in the version`);
    return size;
  }
}

/** A failure another attempt may not meet: the registry was busy or failing, or the connection broke. */
function isTransient(error: unknown): boolean {
  if (!(error instanceof RegistryError)) return false;
  const status = error.status;
  return status === undefined || status === 429 || (status >= 500 && status !== 501 && status !== 505);
}
