import { UNIT_TYPES, unitTypeOf, type UnitKey, type UnitType } from '@wharf/contracts';

/** Units per type, every type present (zero when none), so sums and comparisons need no special cases. */
export type UnitCounts = Readonly<Record<UnitType, number>>;

/** Pulp's content_summary of a repository version. */
export interface ContentSummary {
  readonly added: UnitCounts;
  readonly removed: UnitCounts;
  readonly present: UnitCounts;
}

export const NO_UNITS: UnitCounts = Object.freeze({ blob: 0, manifest: 0, tag: 0 });

export function countUnitTypes(keys: Iterable<UnitKey>): UnitCounts {
  const counts: Record<UnitType, number> = { ...NO_UNITS };
  for (const key of keys) counts[unitTypeOf(key)]++;
  return counts;
}

function combine(a: UnitCounts, b: UnitCounts, sign: 1 | -1): UnitCounts {
  return Object.fromEntries(UNIT_TYPES.map((type) => [type, a[type] + sign * b[type]])) as UnitCounts;
}

export function sameCounts(a: UnitCounts, b: UnitCounts): boolean {
  return UNIT_TYPES.every((type) => a[type] === b[type]);
}

/**
 * The summary of a version made by applying `change` to a version with `presentBefore` units. Exact when the
 * change is normalized against that version (added keys were absent, removed keys present), as planners
 * return it.
 */
export function summarize(
  change: { readonly added: readonly UnitKey[]; readonly removed: readonly UnitKey[] },
  presentBefore: UnitCounts,
): ContentSummary {
  const added = countUnitTypes(change.added);
  const removed = countUnitTypes(change.removed);
  return { added, removed, present: combine(combine(presentBefore, added, 1), removed, -1) };
}
