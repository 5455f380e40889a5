import { Injectable } from '@nestjs/common';
import { BlobStore } from '@wharf/ports';
import { Queries, TaskCanceledError, type TaskOutcome, forEachConcurrently } from '@wharf/runtime';
import {
  MAX_KEYSET_PAGE_LIMIT,
  blobKey,
  manifestKey,
  parseUnitKey,
  repositoryVersionHref,
  tagKey,
  type RemoteView,
  type RepositoryView,
  type UnitKey,
} from '@wharf/contracts';
import { remoteRegistryClient, type RegistryClient } from '@wharf/registry-client';
import { attachedTagSubject } from './attached-tag.matcher.js';
import { RemotesService } from './remotes.service.js';
import type { SyncTaskPayload } from './sync-task.payload.js';
import type { SyncProgress } from './sync.progress.js';
import { TagFilter } from './tag.filter.js';
import { UpstreamContentImporter } from './upstream-content.importer.js';

// The registry client's own default; remotes without download_concurrency get the same.
const DEFAULT_DOWNLOAD_CONCURRENCY = 8;

/** An upstream tag as the sync found it: its name and the manifest digest it points at now. */
interface UpstreamTag {
  readonly name: string;
  readonly digest: string;
}

/**
 * Mirrors a remote's upstream repository into a repository version. Whatever the latest version already
 * holds (the same tag on the same digest) costs one HEAD and nothing more; everything else is downloaded,
 * verified, stored and recorded before ONE version change adds the tags (and, when mirroring, removes the
 * tags upstream no longer has). A failure anywhere leaves no new version; blobs already verified stay stored.
 * Policies on_demand and streamed leave layers upstream for the registry to fetch when pulled (ADR 0012).
 */
@Injectable()
export class SyncService {
  constructor(
    private readonly queries: Queries,
    private readonly remotes: RemotesService,
    private readonly blobs: BlobStore,
  ) {}

  async sync(payload: SyncTaskPayload, progress: SyncProgress): Promise<TaskOutcome> {
    const repository = await this.queries.ask('content.repository.get', { id: payload.repositoryId });
    const remote = this.remotes.get(payload.remoteId);
    const client = remoteRegistryClient(remote, await this.remotes.credentials(remote.id));
    try {
      const concurrency = remote.downloadConcurrency ?? DEFAULT_DOWNLOAD_CONCURRENCY;
      const upstreamTags = await this.upstreamTags(client, remote, concurrency, progress);
      const presentTags = await this.presentTagKeys(repository);
      const wanted = new Set(upstreamTags.map((tag) => tagKey(tag.name, tag.digest)));
      const add = [...wanted].filter((key) => !presentTags.has(key));
      const remove = payload.mirror ? [...presentTags].filter((key) => !wanted.has(key)) : [];

      const importer = new UpstreamContentImporter(
        {
          client,
          name: remote.upstreamName,
          concurrency,
          platforms: remote.platforms,
          // Remotes created before the field existed hold none: false, the default.
          includeForeignLayers: remote.includeForeignLayers === true,
          // streamed syncs as on_demand does; the registry reads the remote's policy at each pull and keeps
          // the bytes it fetched only for on_demand.
          ...(remote.policy !== 'immediate' && {
            onDemand: { remoteId: remote.id, upstreamName: remote.upstreamName },
          }),
        },
        this.blobs,
        this.queries,
        progress,
      );
      const manifests = [...new Set(add.map((key) => parseUnitKey(key).digest))];
      progress.start('manifests', manifests.length);
      progress.start('blobs', 0);
      progress.start('bytes');
      await forEachConcurrently(manifests, concurrency, (digest) => importer.importManifest(digest));
      progress.complete('manifests', 'blobs', 'bytes');

      const leftOut = importer.leftOut().map(manifestKey);
      // Foreign layers are no manifest's references, so the version takes them only when named.
      const foreign = importer.foreignLayers().map(blobKey);
      return await this.changeVersion(repository, [...add, ...foreign], remove, leftOut, progress);
    } catch (error) {
      if (error instanceof TaskCanceledError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`sync from ${remote.url}/${remote.upstreamName} failed: ${reason}`, { cause: error });
    } finally {
      await client.close();
    }
  }

  /**
   * The tags the remote selects, each with the digest a HEAD request reports (no manifest is downloaded).
   * Tags attached to a manifest (cosign's signatures, attestations and SBOMs, the OCI referrers tag) are not
   * the filter's to choose: they come along exactly when a selected tag points at the manifest they belong
   * to, so signed content stays verifiable and signatures of what was left out stay out.
   */
  private async upstreamTags(
    client: RegistryClient,
    remote: RemoteView,
    concurrency: number,
    progress: SyncProgress,
  ): Promise<UpstreamTag[]> {
    progress.start('tags');
    await progress.report(true);
    const filter = new TagFilter(remote.includeTags, remote.excludeTags);
    const selected: string[] = [];
    const attachedTags: { readonly name: string; readonly subject: string }[] = [];
    for await (const name of client.listTags(remote.upstreamName)) {
      const subject = attachedTagSubject(name);
      if (subject !== undefined) attachedTags.push({ name, subject });
      else if (filter.accepts(name)) selected.push(name);
    }
    const found = await this.headTags(client, remote, selected, concurrency, progress);
    const syncedDigests = new Set(found.map((tag) => tag.digest));
    const attached = attachedTags.filter((tag) => syncedDigests.has(tag.subject)).map((tag) => tag.name);
    found.push(...(await this.headTags(client, remote, attached, concurrency, progress)));
    progress.complete('tags');
    await progress.report(true);
    return found;
  }

  private async headTags(
    client: RegistryClient,
    remote: RemoteView,
    names: readonly string[],
    concurrency: number,
    progress: SyncProgress,
  ): Promise<UpstreamTag[]> {
    progress.expect('tags', names.length);
    const found: UpstreamTag[] = [];
    await forEachConcurrently(names, concurrency, async (name) => {
      const head = await client.headManifest(remote.upstreamName, name);
      // A tag deleted between the listing and now is simply not upstream any more.
      if (head) found.push({ name, digest: head.digest });
      progress.advance('tags');
    });
    return found;
  }

  private async presentTagKeys(repository: RepositoryView): Promise<Set<UnitKey>> {
    const keys = new Set<UnitKey>();
    let afterKey: UnitKey | undefined;
    do {
      const page = await this.queries.ask('content.version.units', {
        repositoryId: repository.id,
        version: repository.latestVersion,
        membership: 'present',
        type: 'tag',
        limit: MAX_KEYSET_PAGE_LIMIT,
        afterKey,
      });
      for (const key of page.items) keys.add(key);
      afterKey = page.nextAfterKey;
    } while (afterKey !== undefined);
    return keys;
  }

  /**
   * One version change for the whole sync. Removing a stale tag lets the content service drop the manifests
   * and blobs only that tag needed; a tag moved upstream replaces the present one of its name.
   */
  private async changeVersion(
    repository: RepositoryView,
    add: readonly UnitKey[],
    remove: readonly UnitKey[],
    leftOut: readonly UnitKey[],
    progress: SyncProgress,
  ): Promise<TaskOutcome> {
    progress.start('associating', add.length + remove.length);
    await progress.report(true);
    if (add.length === 0 && remove.length === 0) {
      progress.complete('associating');
      await progress.report(true);
      return { result: { added: 0, removed: 0 } };
    }
    const { version, created } = await this.queries.ask('content.version.modify', {
      repositoryId: repository.id,
      add,
      remove,
      ...(leftOut.length > 0 && { leftOut }),
    });
    progress.advance('associating', add.length + remove.length);
    progress.complete('associating');
    await progress.report(true);
    return {
      createdResources: created ? [repositoryVersionHref(repository.id, version.number)] : [],
      result: { added: add.length, removed: remove.length },
    };
  }
}
