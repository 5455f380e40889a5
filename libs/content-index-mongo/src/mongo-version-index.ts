import { UNIT_TYPES, unitTypeOf, type UnitKey, type UnitType } from '@wharf/contracts';
import {
  LatestVersionDeletionError,
  VersionNotFoundError,
  VersionOutOfOrderError,
  checkPageLimit,
  pageFromLookahead,
  tagNameKeyRange,
  unitKeyRange,
  type DiffQuery,
  type Page,
  type UnitChange,
  type UnitCounts,
  type VersionChanges,
  type VersionChunk,
  type VersionSummary,
  type VersionUnitsQuery,
} from '@wharf/ports';
import {
  ROWS_BY_REMOVAL,
  inBatches,
  insertIgnoringDuplicates,
  type ContentIndexCollections,
  type RowDocument,
} from './mongo-documents.js';
import {
  keyWindow,
  membershipQuery,
  withKeyConditions,
  type ResolvedVersion,
  type RowQuery,
} from './mongo-row-filters.js';

/**
 * The version index on MongoDB without multi-document transactions. Every write method is a sequence of
 * idempotent steps ordered so that repeating an interrupted call finishes the job: rows first (under
 * deterministic ids), then the version document, then the marker that makes the version count as applied.
 */
export class MongoVersionIndex {
  constructor(private readonly collections: ContentIndexCollections) {}

  async lastAppliedVersion(repository: string): Promise<number> {
    const marker = await this.collections.markers.findOne({ _id: repository });
    return marker?.lastApplied ?? 0;
  }

  /**
   * The live version `version` of the repository, or VersionNotFoundError. A version document written by an
   * apply that has not finished (no marker yet) does not count.
   */
  async resolve(repository: string, version: number): Promise<ResolvedVersion> {
    const [marker, stored] = await Promise.all([
      this.collections.markers.findOne({ _id: repository }),
      this.collections.versions.findOne({ repository, version }, { projection: { _id: 1 } }),
    ]);
    if (!marker && version === 0) return { repository, version, latest: true };
    if (!marker || !stored || version > marker.lastApplied) {
      throw new VersionNotFoundError(repository, version);
    }
    return { repository, version, latest: version === marker.lastApplied };
  }

  async apply(repository: string, version: number, changes: VersionChanges): Promise<boolean> {
    const lastApplied = await this.lastAppliedVersion(repository);
    if (version <= lastApplied) return false;
    if (version !== lastApplied + 1) throw new VersionOutOfOrderError(repository, version, lastApplied);
    if (lastApplied === 0) await this.saveSummary(repository, 0, emptySummary());
    for await (const chunk of changes) await this.applyChunk(repository, version, chunk);
    const predecessor =
      lastApplied === 0 ? emptySummary() : await this.storedSummary(repository, lastApplied);
    const { added, removed } = await this.changeCounts(repository, version);
    await this.saveSummary(
      repository,
      version,
      summaryOf((type) => ({
        present: predecessor[type].present + added[type] - removed[type],
        added: added[type],
        removed: removed[type],
      })),
    );
    await this.collections.markers.updateOne(
      { _id: repository },
      { $max: { lastApplied: version } },
      { upsert: true },
    );
    return true;
  }

  /**
   * The squash, in an order that survives interruption: the row updates find nothing left to do when
   * repeated, and the version document goes last, so a repeated call still finds the version live.
   */
  async deleteVersion(repository: string, version: number): Promise<boolean> {
    const lastApplied = await this.lastAppliedVersion(repository);
    if (lastApplied === 0 || version < 0 || version > lastApplied) {
      throw new VersionNotFoundError(repository, version);
    }
    if (version === lastApplied) throw new LatestVersionDeletionError(repository, version);
    const { versions, rows } = this.collections;
    if (!(await versions.findOne({ repository, version }, { projection: { _id: 1 } }))) return false;
    const [next] = await versions
      .find({ repository, version: { $gt: version } })
      .sort({ version: 1 })
      .limit(1)
      .toArray();
    if (!next) {
      throw new Error(`repository ${repository}: version ${version} has no successor to squash into`);
    }
    const successor = next.version;
    // First drop what lived only in the deleted version, or moving its added rows would give them an empty
    // stretch [successor, successor).
    await rows.deleteMany({ repository, addedIn: version, removedIn: successor });
    await rows.updateMany({ repository, addedIn: version }, { $set: { addedIn: successor } });
    await rows.updateMany({ repository, removedIn: version }, { $set: { removedIn: successor } });
    // The successor still holds what it held; only what it counts as added and removed has changed.
    const { added, removed } = await this.changeCounts(repository, successor);
    await this.saveSummary(
      repository,
      successor,
      summaryOf((type) => ({
        present: next.summary[type].present,
        added: added[type],
        removed: removed[type],
      })),
    );
    await versions.deleteOne({ repository, version });
    return true;
  }

  /** Rows and versions first, the marker last, so a repeated call after a crash still finds the repository. */
  async deleteRepository(repository: string): Promise<void> {
    await this.collections.rows.deleteMany({ repository });
    await this.collections.versions.deleteMany({ repository });
    await this.collections.markers.deleteOne({ _id: repository });
  }

  async listKeys(at: ResolvedVersion, query: VersionUnitsQuery): Promise<Page<UnitKey>> {
    checkPageLimit(query.limit);
    const rows = await this.findRows(
      withKeyConditions(membershipQuery(at, query.membership), keyWindow('key', query.afterKey, query.type)),
      query.limit + 1,
    );
    return pageFromLookahead(
      rows.map((row) => row.key),
      query.limit,
      (key) => key,
    );
  }

  /**
   * Only rows that start or end between the two versions can differ, so the candidates come from the
   * addedIn and removedIn indexes (O(changes)). A key with a candidate row has no other row covering a or b
   * (a key's rows never overlap), so grouping the candidates alone decides its side.
   */
  async diff(a: ResolvedVersion, b: ResolvedVersion, query: DiffQuery): Promise<Page<UnitChange>> {
    checkPageLimit(query.limit);
    const low = Math.min(a.version, b.version);
    const high = Math.max(a.version, b.version);
    const between = { $gt: low, $lte: high };
    const grouped = await this.collections.rows
      .aggregate<{ _id: UnitKey; inA: boolean; inB: boolean }>([
        // A top-level $or, so that each side is planned on its own index.
        {
          $match: {
            $or: (['addedIn', 'removedIn'] as const).map((side) => ({
              $and: [
                { repository: a.repository, [side]: between },
                ...keyWindow('key', query.afterKey, query.type),
              ],
            })),
          },
        },
        { $group: { _id: '$key', inA: { $max: presentAt(a.version) }, inB: { $max: presentAt(b.version) } } },
        { $match: { $expr: { $ne: ['$inA', '$inB'] } } },
        { $sort: { _id: 1 } },
        { $limit: query.limit + 1 },
      ])
      .toArray();
    const changes = grouped.map((row): UnitChange => ({
      key: row._id,
      change: row.inB ? 'added' : 'removed',
    }));
    return pageFromLookahead(changes, query.limit, (change) => change.key);
  }

  async presentAmong(at: ResolvedVersion, keys: readonly UnitKey[]): Promise<UnitKey[]> {
    const present: UnitKey[] = [];
    for (const batch of inBatches([...new Set(keys)].sort())) {
      const rows = await this.findRows(
        withKeyConditions(membershipQuery(at, 'present'), [{ key: { $in: batch } }]),
      );
      present.push(...rows.map((row) => row.key));
    }
    return present;
  }

  /** One key range query per name, so each is an index seek; callers name a handful of tags at a time. */
  async presentTagsNamed(at: ResolvedVersion, names: readonly string[]): Promise<UnitKey[]> {
    const present: UnitKey[] = [];
    for (const name of [...new Set(names)].sort()) {
      const range = tagNameKeyRange(name);
      const rows = await this.findRows(
        withKeyConditions(membershipQuery(at, 'present'), [{ key: { $gte: range.from, $lt: range.to } }]),
      );
      present.push(...rows.map((row) => row.key));
    }
    return present.sort();
  }

  async summary(at: ResolvedVersion): Promise<VersionSummary> {
    const stored = await this.collections.versions.findOne({
      repository: at.repository,
      version: at.version,
    });
    return stored?.summary ?? emptySummary();
  }

  private async findRows(query: RowQuery, limit?: number): Promise<Pick<RowDocument, 'key'>[]> {
    const cursor = this.collections.rows
      .find(query.filter, { hint: query.hint, projection: { _id: 0, key: 1 } })
      .sort({ key: 1 });
    return (limit === undefined ? cursor : cursor.limit(limit)).toArray();
  }

  private async applyChunk(repository: string, version: number, chunk: VersionChunk): Promise<void> {
    const { rows } = this.collections;
    // Guarding on addedIn < version keeps a key added earlier in this same version from being closed again
    // (a removal of a key the previous version did not hold changes nothing).
    for (const batch of inBatches(chunk.removed)) {
      await rows.updateMany(
        { repository, removedIn: null, addedIn: { $lt: version }, key: { $in: batch } },
        { $set: { removedIn: version } },
      );
    }
    for (const batch of inBatches(chunk.added)) {
      for (const key of batch) unitTypeOf(key);
      // A key already present keeps its row. That includes the rows an interrupted earlier attempt at this
      // version wrote, which is what makes repeating the chunk harmless.
      const open = await rows
        .find(
          { repository, removedIn: null, key: { $in: batch } },
          { hint: ROWS_BY_REMOVAL, projection: { _id: 0, key: 1 } },
        )
        .toArray();
      const present = new Set(open.map((row) => row.key));
      const fresh = [...new Set(batch)].filter((key) => !present.has(key));
      await insertIgnoringDuplicates(
        rows,
        fresh.map((key) => ({
          _id: { repository, key, since: version },
          repository,
          key,
          addedIn: version,
          removedIn: null,
        })),
      );
    }
  }

  /** What a version added and removed, per type: one index-only count per type and side, O(its changes). */
  private async changeCounts(
    repository: string,
    version: number,
  ): Promise<{ added: Record<UnitType, number>; removed: Record<UnitType, number> }> {
    const count = async (side: 'addedIn' | 'removedIn'): Promise<Record<UnitType, number>> => {
      const counts = await Promise.all(
        UNIT_TYPES.map((type) => {
          const range = unitKeyRange(type);
          return this.collections.rows.countDocuments({
            repository,
            [side]: version,
            key: { $gte: range.from, $lt: range.to },
          });
        }),
      );
      return Object.fromEntries(UNIT_TYPES.map((type, i) => [type, counts[i]])) as Record<UnitType, number>;
    };
    const [added, removed] = await Promise.all([count('addedIn'), count('removedIn')]);
    return { added, removed };
  }

  private async storedSummary(repository: string, version: number): Promise<VersionSummary> {
    const stored = await this.collections.versions.findOne({ repository, version });
    if (!stored) throw new Error(`repository ${repository}: no summary stored for version ${version}`);
    return stored.summary;
  }

  private async saveSummary(repository: string, version: number, summary: VersionSummary): Promise<void> {
    await this.collections.versions.updateOne(
      { repository, version },
      { $set: { summary } },
      { upsert: true },
    );
  }
}

/** Aggregation expression: does this row cover `version`? */
function presentAt(version: number): Record<string, unknown> {
  return {
    $and: [
      { $lte: ['$addedIn', version] },
      { $or: [{ $eq: ['$removedIn', null] }, { $gt: ['$removedIn', version] }] },
    ],
  };
}

function summaryOf(counts: (type: UnitType) => UnitCounts): VersionSummary {
  return Object.fromEntries(UNIT_TYPES.map((type) => [type, counts(type)])) as Record<UnitType, UnitCounts>;
}

function emptySummary(): VersionSummary {
  return summaryOf(() => ({ present: 0, added: 0, removed: 0 }));
}
