import { MongoBulkWriteError, type Collection, type Db, type OptionalUnlessRequiredId } from 'mongodb';
import type { UnitKey } from '@wharf/contracts';
import type { VersionSummary } from '@wharf/ports';

/** A row's identity, fixed when it is first written, so that writing it again is a duplicate and not a copy. */
export interface RowId {
  readonly repository: string;
  readonly key: UnitKey;
  /** The version that first added the row; a squash may later move `addedIn`, never the id. */
  readonly since: number;
}

/** One stretch of versions [addedIn, removedIn) in which a repository holds a unit. */
export interface RowDocument {
  readonly _id: RowId;
  readonly repository: string;
  readonly key: UnitKey;
  readonly addedIn: number;
  /** null while the unit is still in the repository's latest version. */
  readonly removedIn: number | null;
}

export interface VersionDocument {
  readonly repository: string;
  readonly version: number;
  readonly summary: VersionSummary;
}

/** Per repository, the version that applyVersion last completed: its final write, so a crash before it is redone. */
export interface MarkerDocument {
  readonly _id: string;
  readonly lastApplied: number;
}

export interface UnitDocument {
  readonly _id: UnitKey;
  readonly digest: string;
  readonly mediaType: string | null;
  readonly createdAt: Date;
  readonly references: readonly UnitKey[];
  /**
   * The CatalogUnit exactly as recorded. Kept as JSON text because manifest annotations and labels may have
   * keys with dots or a leading '$', which MongoDB field names handle badly.
   */
  readonly json: string;
}

export interface ContentIndexCollections {
  readonly rows: Collection<RowDocument>;
  readonly versions: Collection<VersionDocument>;
  readonly markers: Collection<MarkerDocument>;
  readonly units: Collection<UnitDocument>;
}

/**
 * The indexes, each named for the reads it serves (every listing pages by key, so each index used for
 * listing ends in the key and returns a page in key order by reading only that page):
 *
 *   rows  {repository, key, addedIn}     present(v) of an older version: a key-ordered walk that skips rows
 *                                        outside v; presentAmong and tags by name: one seek per key or name
 *         {repository, removedIn, key}   present(latest) as removedIn ∈ {null, latest+1} (the second value
 *                                        covers a version being applied right now), removed(v), squashes
 *         {repository, addedIn, key}     added(v), counts and squashes, O(changes)
 *         {key}                          "is this unit in any repository?" for orphans
 *   versions {repository, version} unique   the live versions; the next live version is one seek
 *   units {digest, _id}, {mediaType, _id}  filtered listings in key order (type and tag name are _id ranges)
 *         {references}                   multikey: which units reference a key
 */
export const ROWS_BY_KEY = { repository: 1, key: 1, addedIn: 1 } as const;
export const ROWS_BY_REMOVAL = { repository: 1, removedIn: 1, key: 1 } as const;
export const ROWS_BY_ADDITION = { repository: 1, addedIn: 1, key: 1 } as const;

export async function openCollections(db: Db): Promise<ContentIndexCollections> {
  const collections: ContentIndexCollections = {
    rows: db.collection<RowDocument>('content_index_rows'),
    versions: db.collection<VersionDocument>('content_index_versions'),
    markers: db.collection<MarkerDocument>('content_index_markers'),
    units: db.collection<UnitDocument>('content_index_units'),
  };
  await Promise.all([
    collections.rows.createIndexes([
      { key: ROWS_BY_KEY },
      { key: ROWS_BY_REMOVAL },
      { key: ROWS_BY_ADDITION },
      { key: { key: 1 } },
    ]),
    collections.versions.createIndexes([{ key: { repository: 1, version: 1 }, unique: true }]),
    collections.units.createIndexes([
      { key: { digest: 1, _id: 1 } },
      { key: { mediaType: 1, _id: 1 } },
      { key: { references: 1 } },
    ]),
  ]);
  return collections;
}

const DUPLICATE_KEY = 11000;

/**
 * Inserts documents whose ids derive from their content; those already stored (a repeated call) are
 * skipped, every other failure is thrown.
 */
export async function insertIgnoringDuplicates<T extends { _id: unknown }>(
  collection: Collection<T>,
  documents: readonly OptionalUnlessRequiredId<T>[],
): Promise<void> {
  if (!documents.length) return;
  try {
    await collection.insertMany([...documents], { ordered: false });
  } catch (error) {
    if (error instanceof MongoBulkWriteError && !error.err) {
      const writeErrors = [error.writeErrors].flat();
      if (writeErrors.length && writeErrors.every((e) => e.code === DUPLICATE_KEY)) return;
    }
    throw error;
  }
}

/** Splits a long key list so that no single query document grows large ($in of 200k keys would be ~16 MB). */
export function* inBatches<T>(items: readonly T[], size = 5_000): Iterable<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
