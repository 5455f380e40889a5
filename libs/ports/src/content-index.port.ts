import type { CatalogUnit, UnitKey, UnitType } from '@wharf/contracts';

/**
 * The content service's read models, kept so that every read costs O(result) rather than O(history):
 *
 * - the **catalog**: every content unit Wharf knows (global, content-addressed, see CatalogUnit), with the
 *   references between units (a tag → its manifest; a manifest → its config, layers and listed manifests);
 * - the **version index**: which units each repository version holds, as Pulp keeps them — one row
 *   (repository, key, addedIn, removedIn) per stretch of versions a unit stays in a repository:
 *
 *       key                       addedIn  removedIn      present in
 *       tag:latest@sha256:aa…        1        3           versions 1, 2
 *       tag:latest@sha256:bb…        3        null        versions 3, 4, … (to the latest)
 *       blob:sha256:cc…              1        null        every version from 1
 *
 *   A unit present in v has a row with addedIn ≤ v < removedIn (null = still present). A unit removed and
 *   added again gets a second row. Version 0 is empty.
 *
 * History is linear: version N+1 is applied as the change (added keys, removed keys) against version N. The
 * content service computes that change even when a user's request named an older base version.
 *
 * Ordering: keys sort as plain strings (code-unit order) and every listing pages through them with a keyset
 * (`afterKey`, `limit`). Because a key starts with its unit type, the keys of one type form one contiguous
 * range (see `unitKeyRange`), which is how adapters filter by type without leaving the key order.
 *
 * Versions: the index records per repository the live versions (applied and not deleted) and the last applied
 * version. Methods that read a version throw VersionNotFoundError when it is not live. A repository the index
 * has no version of yet (never applied, or forgotten by deleteRepository) has only version 0, which reads as empty.
 *
 * Atomicity: adapters with transactions (SQLite) apply a whole version at once. Adapters without (MongoDB)
 * write in steps ordered so that repeating an interrupted call completes it: rows are written under ids
 * derived from their content, and the marker that makes a version count as applied is written last.
 */
export interface VersionChunk {
  /** Keys in version N that were not in N-1. */
  readonly added: readonly UnitKey[];
  /** Keys in N-1 that are not in version N. */
  readonly removed: readonly UnitKey[];
}

/**
 * A version's change, in chunks (the content service sends them as it reads its event stream, 5,000 keys
 * at a time, so a 200k-unit version never sits in memory at once). Across all chunks of one version, added
 * and removed keys are disjoint.
 */
export type VersionChanges = Iterable<VersionChunk> | AsyncIterable<VersionChunk>;

/** Which rows of a version a listing returns: those present in it, or those it added or removed. */
export type VersionMembership = 'present' | 'added' | 'removed';

export interface PageRequest {
  /** Return keys strictly greater than this one (the previous page's `nextAfterKey`); default: from the start. */
  readonly afterKey?: UnitKey;
  /** At most this many items; must be at least 1. */
  readonly limit: number;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Present only when more items follow: pass it as the next request's `afterKey`. */
  readonly nextAfterKey?: UnitKey;
}

export interface VersionUnitsQuery extends PageRequest {
  readonly membership: VersionMembership;
  readonly type?: UnitType;
}

export interface DiffQuery extends PageRequest {
  readonly type?: UnitType;
}

/** One line of a diff from version a to version b. */
export interface UnitChange {
  readonly key: UnitKey;
  /** 'added': in b, not in a. 'removed': in a, not in b. */
  readonly change: 'added' | 'removed';
}

/** An edge of the reference graph: `from` needs `to` to be complete (a tag needs its manifest). */
export interface UnitReference {
  readonly from: UnitKey;
  readonly to: UnitKey;
}

export interface UnitCounts {
  readonly present: number;
  readonly added: number;
  readonly removed: number;
}

/** Per unit type: how many units a version holds, and how many it added and removed against its predecessor. */
export type VersionSummary = Readonly<Record<UnitType, UnitCounts>>;

/** Catalog listing filters; all given filters must match. Results come in key order. */
export interface UnitFilter {
  readonly type?: UnitType;
  /** A blob's or manifest's digest, or the manifest digest a tag points at. */
  readonly digest?: string;
  /** Tags with exactly this name. */
  readonly tagName?: string;
  /** Manifests whose media type is exactly this. */
  readonly mediaType?: string;
  /** Only units present in (or added or removed by) this repository version; membership defaults to 'present'. */
  readonly inVersion?: {
    readonly repository: string;
    readonly version: number;
    readonly membership?: VersionMembership;
  };
}

/** A version that was never applied to the repository, or that retention deleted. */
export class VersionNotFoundError extends Error {
  constructor(
    readonly repository: string,
    readonly version: number,
  ) {
    super(`repository ${repository}: version ${version} does not exist`);
    this.name = 'VersionNotFoundError';
  }
}

/** applyVersion was asked to skip a version: version N+1 must follow N. */
export class VersionOutOfOrderError extends Error {
  constructor(
    readonly repository: string,
    readonly version: number,
    readonly lastApplied: number,
  ) {
    super(
      `repository ${repository}: cannot apply version ${version} after version ${lastApplied}; ` +
        `version ${lastApplied + 1} must come first`,
    );
    this.name = 'VersionOutOfOrderError';
  }
}

/** The latest version has no successor to squash into, so retention may never delete it. */
export class LatestVersionDeletionError extends Error {
  constructor(
    readonly repository: string,
    readonly version: number,
  ) {
    super(`repository ${repository}: version ${version} is the latest version and cannot be deleted`);
    this.name = 'LatestVersionDeletionError';
  }
}

/** A half-open key range [from, to) in key order. */
export interface KeyRange {
  readonly from: string;
  readonly to: string;
}

/** The keys that start with `prefix`: from the prefix itself up to (excluding) the prefix with its last character incremented. */
export function keyPrefixRange(prefix: string): KeyRange {
  const last = prefix.charCodeAt(prefix.length - 1);
  return { from: prefix, to: prefix.slice(0, -1) + String.fromCharCode(last + 1) };
}

/** The keys of one unit type ("tag:" … "tag;"), since every key starts with its type and a colon. */
export function unitKeyRange(type: UnitType): KeyRange {
  return keyPrefixRange(`${type}:`);
}

/** The keys of the tags named `name`, whatever manifest they point at ("tag:<name>@…"). */
export function tagNameKeyRange(name: string): KeyRange {
  return keyPrefixRange(`tag:${name}@`);
}

/** Rejects a page size that is not a positive integer, before any adapter turns it into a query. */
export function checkPageLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`page limit must be a positive integer, got ${limit}`);
  }
}

/**
 * Builds a page from a query that fetched up to `limit + 1` items in key order: the extra item only proves
 * that another page follows, and is not returned.
 */
export function pageFromLookahead<T>(
  fetched: readonly T[],
  limit: number,
  keyOf: (item: T) => UnitKey,
): Page<T> {
  if (fetched.length <= limit) return { items: fetched };
  const items = fetched.slice(0, limit);
  return { items, nextAfterKey: keyOf(items[items.length - 1]!) };
}

export abstract class ContentIndex {
  // ---- catalog -------------------------------------------------------------------------------------------

  /**
   * Records units and their references. Idempotent: a key already recorded keeps its stored facts and its
   * first `createdAt` (a key's facts never change, because the key is derived from the content).
   */
  abstract recordUnits(units: readonly CatalogUnit[]): Promise<void>;

  /** The recorded units among `keys`, in key order; unknown keys are left out. */
  abstract getUnits(keys: readonly UnitKey[]): Promise<CatalogUnit[]>;

  /** Every recorded unit with this digest: the blob, the manifest and the tags pointing at that manifest. */
  abstract findByDigest(digest: string): Promise<CatalogUnit[]>;

  /** One page of catalog units matching every filter, in key order. */
  abstract listUnits(filter: UnitFilter, page: PageRequest): Promise<Page<CatalogUnit>>;

  /** The references going out of `keys` (what those units need), in (from, to) order. */
  abstract referencesOf(keys: readonly UnitKey[]): Promise<UnitReference[]>;

  /**
   * Catalog units that no live version of any repository holds and that were recorded before `olderThan`
   * (young units are protected: an upload may record them just before adding them to a repository). In key
   * order, at most `limit`, after `afterKey` when given so a sweep can page through without rescanning.
   */
  abstract listOrphans(olderThan: Date, limit: number, afterKey?: UnitKey): Promise<CatalogUnit[]>;

  /**
   * Deletes the catalog units among `keys` that no repository row holds (any that a version gained since
   * they were listed as orphans stay), with their outgoing references. Returns the keys actually deleted,
   * so the caller removes only those units' bytes.
   */
  abstract deleteUnits(keys: readonly UnitKey[]): Promise<UnitKey[]>;

  // ---- version index -------------------------------------------------------------------------------------

  /** The last version applied to the repository; 0 when none was. */
  abstract lastAppliedVersion(repository: string): Promise<number>;

  /**
   * Applies version `version` as `changes` against the repository's last applied version and makes it live
   * (with version 0, when this is the repository's first version).
   *
   * Idempotent for replays: a version already applied is ignored without reading `changes` (returns
   * false). A version that would skip one throws VersionOutOfOrderError. An added key already present, or
   * a removed key not present in version-1, changes nothing, which is what lets an interrupted apply be
   * repeated.
   */
  abstract applyVersion(repository: string, version: number, changes: VersionChanges): Promise<boolean>;

  /**
   * Deletes a version that retention no longer keeps, squashing it into the next live version M so that
   * every other version keeps its content: rows added in it and removed in M vanish, the rest of its added
   * rows move to M, and rows it removed are removed in M instead. Costs O(changes of the version and of M).
   *
   * Returns false when the version was already deleted (a repeated call); throws LatestVersionDeletionError
   * for the latest version and VersionNotFoundError for a version never applied.
   */
  abstract deleteVersion(repository: string, version: number): Promise<boolean>;

  /** Forgets the repository: its rows, versions and last applied version. Catalog units stay (see listOrphans). */
  abstract deleteRepository(repository: string): Promise<void>;

  /** One page of the keys a version holds, added or removed, in key order. */
  abstract listVersionUnits(
    repository: string,
    version: number,
    query: VersionUnitsQuery,
  ): Promise<Page<UnitKey>>;

  /**
   * One page of the differences between versions `a` and `b` (either may be the older), in key order: keys
   * in b and not in a are 'added', keys in a and not in b 'removed'. Costs O(changes between a and b).
   */
  abstract diff(repository: string, a: number, b: number, query: DiffQuery): Promise<Page<UnitChange>>;

  /** The keys among `keys` that the version holds, in key order. */
  abstract presentAmong(repository: string, version: number, keys: readonly UnitKey[]): Promise<UnitKey[]>;

  /** The tag keys the version holds whose name is one of `names` (to retag or untag), in key order. */
  abstract presentTagsNamed(
    repository: string,
    version: number,
    names: readonly string[],
  ): Promise<UnitKey[]>;

  /**
   * The references from units the version holds to any of `keys`, in (from, to) order: which of the
   * version's units still need a unit that a removal is about to take away.
   */
  abstract referrersInVersion(
    repository: string,
    version: number,
    keys: readonly UnitKey[],
  ): Promise<UnitReference[]>;

  /** Unit counts of a version per type, read in O(1) (they are kept up to date as versions are applied and deleted). */
  abstract countSummary(repository: string, version: number): Promise<VersionSummary>;

  // ---- lifecycle -----------------------------------------------------------------------------------------

  /** Liveness of the backing store, for /readyz. */
  abstract ping(): Promise<void>;

  abstract close(): Promise<void>;
}
