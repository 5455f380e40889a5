import type { UnitKey } from '@wharf/contracts';

/**
 * One base version of one repository, as the planners see it. Synchronous on purpose: the content service
 * prefetches what a plan needs from the read models (catalog references, present units, referrers), so the
 * planning rules stay pure functions that tests drive with plain maps.
 */
export interface VersionContentView {
  isPresent(key: UnitKey): boolean;
  /** From the catalog: a tag → its manifest; a manifest → its config, layers and listed manifests. */
  referencesOf(key: UnitKey): readonly UnitKey[];
  /** Units present in the base version that reference `key`. */
  referrersOf(key: UnitKey): readonly UnitKey[];
  presentTagsNamed(name: string): readonly UnitKey[];
  allPresent(): Iterable<UnitKey>;
}
