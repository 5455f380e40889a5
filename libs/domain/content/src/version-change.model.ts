import type { UnitKey } from '@wharf/contracts';

/** What a new version changes relative to another version: keys added, keys removed. */
export interface VersionChange {
  readonly added: readonly UnitKey[];
  readonly removed: readonly UnitKey[];
}

/**
 * Deduplicated, sorted, and with keys that are both added and removed cancelled: such a key was removed
 * from the base and put back, so the base's content is unchanged for it.
 */
export function normalizeChange(added: Iterable<UnitKey>, removed: Iterable<UnitKey>): VersionChange {
  const addedSet = new Set(added);
  const removedSet = new Set(removed);
  for (const key of addedSet) {
    if (removedSet.delete(key)) addedSet.delete(key);
  }
  return { added: [...addedSet].sort(), removed: [...removedSet].sort() };
}

/** The change that turns `current` into `target` (rollback: target = an old version's content). */
export function diffKeySets(target: Iterable<UnitKey>, current: Iterable<UnitKey>): VersionChange {
  const targetSet = target instanceof Set ? (target as ReadonlySet<UnitKey>) : new Set(target);
  const currentSet = current instanceof Set ? (current as ReadonlySet<UnitKey>) : new Set(current);
  const added = [...targetSet].filter((key) => !currentSet.has(key));
  const removed = [...currentSet].filter((key) => !targetSet.has(key));
  return { added: added.sort(), removed: removed.sort() };
}

/**
 * History is linear: every version is recorded as a change against the latest. When the user based a
 * change on an older version (Pulp's base_version), the new version's content is `base + change`, and
 * this turns that into the change against `latest` that RecordVersion needs.
 */
export function relativeToLatest(input: {
  readonly base: Iterable<UnitKey>;
  readonly change: VersionChange;
  readonly latest: Iterable<UnitKey>;
}): VersionChange {
  const target = new Set(input.base);
  for (const key of input.change.removed) target.delete(key);
  for (const key of input.change.added) target.add(key);
  return diffKeySets(target, input.latest);
}
