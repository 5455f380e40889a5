import { Injectable } from '@nestjs/common';
import type { UnitKey } from '@wharf/contracts';
import { ContentIndex, type UnitChange } from '@wharf/ports';
import { normalizeChange, type VersionChange } from '@wharf/domain-content';
import { presentAmongInBatches } from './index-batches.js';

/** Keys per page when walking a version or a diff. */
const PAGE = 5_000;

/**
 * History is linear: every new version is recorded as a change against the latest one (RecordVersion).
 * These turn what a request means (a change to an older base, the content of an old version, "this and
 * nothing else") into that change, from the version index in O(the change plus the versions' difference)
 * and without holding any whole version in memory: the domain's `relativeToLatest` would need both
 * versions as sets.
 */
@Injectable()
export class LatestChangeResolver {
  constructor(private readonly index: ContentIndex) {}

  /**
   * The change that makes the latest version equal `base + change` (where `change` was planned against
   * `base`). A key the change touches ends as the change says; every other key as it is in `base`.
   */
  async fromBase(
    repositoryId: string,
    base: number,
    latest: number,
    change: VersionChange,
  ): Promise<VersionChange> {
    if (base === latest) return change;
    const touched = new Set([...change.added, ...change.removed]);
    const inLatest = new Set(await presentAmongInBatches(this.index, repositoryId, latest, [...touched]));
    const added = change.added.filter((key) => !inLatest.has(key));
    const removed = change.removed.filter((key) => inLatest.has(key));
    for await (const entry of this.differences(repositoryId, latest, base)) {
      if (touched.has(entry.key)) continue;
      (entry.change === 'added' ? added : removed).push(entry.key);
    }
    return normalizeChange(added, removed);
  }

  /** The change that makes the latest version hold exactly what `version` holds (rollback). */
  async toVersion(repositoryId: string, version: number, latest: number): Promise<VersionChange> {
    const added: UnitKey[] = [];
    const removed: UnitKey[] = [];
    for await (const entry of this.differences(repositoryId, latest, version)) {
      (entry.change === 'added' ? added : removed).push(entry.key);
    }
    return { added, removed };
  }

  /** The change that makes the latest version hold exactly `content` (remove all, then add). */
  async toContent(
    repositoryId: string,
    latest: number,
    content: ReadonlySet<UnitKey>,
  ): Promise<VersionChange> {
    const inLatest = new Set(await presentAmongInBatches(this.index, repositoryId, latest, [...content]));
    const added = [...content].filter((key) => !inLatest.has(key));
    const removed: UnitKey[] = [];
    for await (const key of this.presentKeys(repositoryId, latest)) {
      if (!content.has(key)) removed.push(key);
    }
    return normalizeChange(added, removed);
  }

  /** Keys in `to` and not in `from` as 'added', the reverse as 'removed', page by page. */
  private async *differences(repositoryId: string, from: number, to: number): AsyncIterable<UnitChange> {
    let afterKey: UnitKey | undefined;
    do {
      const page = await this.index.diff(repositoryId, from, to, { limit: PAGE, afterKey });
      yield* page.items;
      afterKey = page.nextAfterKey;
    } while (afterKey !== undefined);
  }

  private async *presentKeys(repositoryId: string, version: number): AsyncIterable<UnitKey> {
    let afterKey: UnitKey | undefined;
    do {
      const page = await this.index.listVersionUnits(repositoryId, version, {
        membership: 'present',
        limit: PAGE,
        afterKey,
      });
      yield* page.items;
      afterKey = page.nextAfterKey;
    } while (afterKey !== undefined);
  }
}
