import { manifestKey, parseUnitKey, tagKey, unitTypeOf, type UnitKey } from '@wharf/contracts';
import { isDigest, isValidTag } from '@wharf/oci';
import {
  DuplicateTagError,
  InvalidManifestDigestError,
  InvalidTagError,
  ManifestNotPresentError,
  TagNotFoundError,
} from './repository.errors.js';
import { assertValidUnitKey } from './unit-key.validation.js';
import { normalizeChange, type VersionChange } from './version-change.model.js';
import type { VersionContentView } from './version-content.view.js';

/*
 * Pulp's recursive content rules, as pure functions of a base version. Every plan is a normalized change
 * relative to that base: only keys that were absent are added, only keys that were present are removed.
 */

/** Everything `keys` need, following references (tag → manifest → listed manifests, config, layers). */
function withReferences(keys: Iterable<UnitKey>, view: VersionContentView): Set<UnitKey> {
  const found = new Set<UnitKey>();
  const queue = [...keys];
  for (let key = queue.pop(); key !== undefined; key = queue.pop()) {
    if (found.has(key)) continue;
    found.add(key);
    queue.push(...view.referencesOf(key));
  }
  return found;
}

/** The requested tags by name; two different tags of one name cannot both end up in a version. */
function requestedTagsByName(keys: Iterable<UnitKey>): Map<string, UnitKey> {
  const byName = new Map<string, UnitKey>();
  for (const key of keys) {
    if (unitTypeOf(key) !== 'tag') continue;
    const name = parseUnitKey(key).name ?? '';
    const earlier = byName.get(name);
    if (earlier !== undefined && earlier !== key) throw new DuplicateTagError(name, [earlier, key]);
    byName.set(name, key);
  }
  return byName;
}

/**
 * Recursive add: the keys and all they reference, as far as they are not present yet. References are
 * followed through present units as well, so a version missing part of an image gets it back. A tag
 * whose name is already present on another manifest replaces that tag (which is removed on its own,
 * not recursively, as in Pulp).
 */
export function planAdd(keys: Iterable<UnitKey>, view: VersionContentView): VersionChange {
  const requested = [...keys];
  requested.forEach(assertValidUnitKey);
  const tagsByName = requestedTagsByName(requested);
  const added = [...withReferences(requested, view)].filter((key) => !view.isPresent(key));
  const replaced: UnitKey[] = [];
  for (const [name, tag] of tagsByName) {
    replaced.push(...view.presentTagsNamed(name).filter((present) => present !== tag));
  }
  return normalizeChange(added, replaced);
}

/**
 * Present candidates that must stay because content that stays needs them: a candidate referenced by a
 * present unit outside the candidates stays, and so does everything a staying candidate references.
 */
function neededByRemainingContent(candidates: ReadonlySet<UnitKey>, view: VersionContentView): Set<UnitKey> {
  const kept = new Set<UnitKey>();
  const queue = [...candidates].filter((key) =>
    view.referrersOf(key).some((referrer) => !candidates.has(referrer)),
  );
  for (let key = queue.pop(); key !== undefined; key = queue.pop()) {
    if (kept.has(key)) continue;
    kept.add(key);
    for (const reference of view.referencesOf(key)) {
      if (candidates.has(reference) && !kept.has(reference)) queue.push(reference);
    }
  }
  return kept;
}

/**
 * Recursive remove. The requested keys leave with what they reference (a tag its manifest, a list its
 * manifests, a manifest its blobs), except what content staying in the version still needs: a blob shared
 * with another image stays, a manifest another tag or list points at stays. Removing a manifest also
 * removes the tags naming it, since a tag is only a name for its manifest; if the manifest has to stay
 * (a remaining list needs it), so do its tags. `'*'` empties the version.
 */
export function planRemove(keys: Iterable<UnitKey> | '*', view: VersionContentView): VersionChange {
  if (keys === '*') return normalizeChange([], view.allPresent());
  const keyList = [...keys];
  keyList.forEach(assertValidUnitKey);
  const requested = new Set(keyList.filter((key) => view.isPresent(key)));
  const tagsOfRemovedManifests = new Map<UnitKey, UnitKey>();
  for (const key of requested) {
    if (unitTypeOf(key) !== 'manifest') continue;
    for (const referrer of view.referrersOf(key)) {
      if (unitTypeOf(referrer) === 'tag' && !requested.has(referrer))
        tagsOfRemovedManifests.set(referrer, key);
    }
  }
  const candidates = new Set(
    [...withReferences([...requested, ...tagsOfRemovedManifests.keys()], view)].filter((key) =>
      view.isPresent(key),
    ),
  );
  const kept = neededByRemainingContent(candidates, view);
  const removed = [...candidates].filter((key) => {
    if (kept.has(key)) return false;
    const manifest = tagsOfRemovedManifests.get(key);
    return manifest === undefined || !kept.has(manifest);
  });
  return normalizeChange([], removed);
}

/** Presence as it will be once `removed` is gone: what an add planned after a removal must see. */
function withoutRemoved(view: VersionContentView, removed: ReadonlySet<UnitKey>): VersionContentView {
  return {
    isPresent: (key) => !removed.has(key) && view.isPresent(key),
    referencesOf: (key) => view.referencesOf(key),
    referrersOf: (key) => view.referrersOf(key).filter((referrer) => !removed.has(referrer)),
    presentTagsNamed: (name) => view.presentTagsNamed(name).filter((tag) => !removed.has(tag)),
    *allPresent() {
      for (const key of view.allPresent()) if (!removed.has(key)) yield key;
    },
  };
}

/** Pulp's modify: remove first, then add, as one change relative to the base. */
export function planModify(
  request: { readonly add?: Iterable<UnitKey>; readonly remove?: Iterable<UnitKey> | '*' },
  view: VersionContentView,
): VersionChange {
  const removal = planRemove(request.remove ?? [], view);
  const addition = planAdd(request.add ?? [], withoutRemoved(view, new Set(removal.removed)));
  return normalizeChange(addition.added, [...removal.removed, ...addition.removed]);
}

function assertValidTag(name: string): void {
  if (!isValidTag(name)) throw new InvalidTagError(name);
}

/** Tags a present manifest; a present tag of that name on another manifest is replaced. */
export function planTag(name: string, manifestDigest: string, view: VersionContentView): VersionChange {
  assertValidTag(name);
  if (!isDigest(manifestDigest)) throw new InvalidManifestDigestError(manifestDigest);
  if (!view.isPresent(manifestKey(manifestDigest))) throw new ManifestNotPresentError(manifestDigest);
  const tag = tagKey(name, manifestDigest);
  const replaced = view.presentTagsNamed(name).filter((present) => present !== tag);
  return normalizeChange(view.isPresent(tag) ? [] : [tag], replaced);
}

/** Removes the tag of that name; the manifest stays. */
export function planUntag(name: string, view: VersionContentView): VersionChange {
  assertValidTag(name);
  const tags = view.presentTagsNamed(name);
  if (tags.length === 0) throw new TagNotFoundError(name);
  return normalizeChange([], tags);
}
