import type { Transaction } from 'better-sqlite3';
import { UNIT_TYPES, unitTypeOf, type UnitKey, type UnitType } from '@wharf/contracts';
import {
  LatestVersionDeletionError,
  VersionNotFoundError,
  VersionOutOfOrderError,
  checkPageLimit,
  pageFromLookahead,
  tagNameKeyRange,
  type DiffQuery,
  type Page,
  type UnitChange,
  type UnitCounts,
  type UnitReference,
  type VersionChanges,
  type VersionChunk,
  type VersionSummary,
  type VersionUnitsQuery,
} from '@wharf/ports';
import { Conditions, addMembership, type ResolvedVersion } from './sql-conditions.js';
import type { StatementCache } from './statement-cache.js';

interface RepositoryRow {
  readonly id: number;
  readonly last_applied: number;
}

interface TypeCount {
  readonly type: UnitType;
  readonly n: number;
}

/** Stands for a repository that has no row yet: no content row carries it, so its version 0 reads as empty. */
const NO_REPOSITORY = -1;

/** The type of a key as SQL: the text before its first colon (keys are validated on the way in). */
const KEY_TYPE = `substr(unit_key, 1, instr(unit_key, ':') - 1)`;

/**
 * The version index: repository_content rows and the live versions with their counts. Writes go through
 * the writer connection (the caller serializes them); reads go through the reader connection, which in WAL
 * mode sees the last committed state even while a version is being applied.
 */
export class SqliteVersionIndex {
  private readonly deleteVersionTransaction: Transaction<(repository: string, version: number) => boolean>;
  private readonly deleteRepositoryTransaction: Transaction<(repository: string) => void>;

  constructor(
    private readonly writer: StatementCache,
    private readonly reader: StatementCache,
  ) {
    this.deleteVersionTransaction = writer.db.transaction((repository: string, version: number) =>
      this.squashVersion(repository, version),
    );
    this.deleteRepositoryTransaction = writer.db.transaction((repository: string) =>
      this.forgetRepository(repository),
    );
  }

  lastAppliedVersion(repository: string): number {
    return this.repositoryRow(this.reader, repository)?.last_applied ?? 0;
  }

  /** The live version `version` of the repository, or VersionNotFoundError. */
  resolve(repository: string, version: number): ResolvedVersion {
    const row = this.reader
      .get(
        `SELECT r.id, r.last_applied, v.version IS NOT NULL AS live FROM repositories r
         LEFT JOIN repository_versions v ON v.repository_id = r.id AND v.version = ?
         WHERE r.name = ?`,
      )
      .get(version, repository) as (RepositoryRow & { live: number }) | undefined;
    if (!row && version === 0) return { repositoryId: NO_REPOSITORY, version, latest: true };
    if (!row?.live) throw new VersionNotFoundError(repository, version);
    return { repositoryId: row.id, version, latest: version === row.last_applied };
  }

  /**
   * One transaction from the first chunk to the new last_applied, so readers never see half a version and
   * the open rows always are the latest version. The caller must keep other writes off the connection
   * until this settles.
   */
  async apply(repository: string, version: number, changes: VersionChanges): Promise<boolean> {
    const existing = this.repositoryRow(this.writer, repository);
    const lastApplied = existing?.last_applied ?? 0;
    if (version <= lastApplied) return false;
    if (version !== lastApplied + 1) throw new VersionOutOfOrderError(repository, version, lastApplied);
    const db = this.writer.db;
    db.exec('BEGIN IMMEDIATE');
    try {
      const repositoryId = existing?.id ?? this.createRepository(repository);
      for await (const chunk of changes) this.applyChunk(repositoryId, version, chunk);
      const predecessor = this.storedSummary(repositoryId, lastApplied);
      const { added, removed } = this.changeCounts(repositoryId, version);
      const summary = summaryOf((type) => ({
        present: predecessor[type].present + added[type] - removed[type],
        added: added[type],
        removed: removed[type],
      }));
      this.writer
        .get('INSERT INTO repository_versions (repository_id, version, summary) VALUES (?, ?, ?)')
        .run(repositoryId, version, JSON.stringify(summary));
      this.writer.get('UPDATE repositories SET last_applied = ? WHERE id = ?').run(version, repositoryId);
      db.exec('COMMIT');
      return true;
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }

  deleteVersion(repository: string, version: number): boolean {
    return this.deleteVersionTransaction.immediate(repository, version);
  }

  deleteRepository(repository: string): void {
    this.deleteRepositoryTransaction.immediate(repository);
  }

  listKeys(at: ResolvedVersion, query: VersionUnitsQuery): Page<UnitKey> {
    checkPageLimit(query.limit);
    const where = addMembership(new Conditions(), 'c', at, query.membership).keyWindow(
      'c.unit_key',
      query.afterKey,
      query.type,
    );
    const keys = this.reader
      .get(`SELECT c.unit_key FROM repository_content c ${where.toSql()} ORDER BY c.unit_key LIMIT ?`)
      .pluck()
      .all(...where.params, query.limit + 1) as UnitKey[];
    return pageFromLookahead(keys, query.limit, (key) => key);
  }

  /**
   * Only rows that start or end between the two versions can differ, so the candidates come from the
   * _added and _removed indexes (O(changes)). A key whose rows all lie outside that span is in both or
   * neither version; a key with a candidate row has no other row covering a or b (a key's rows never
   * overlap), so grouping the candidates alone decides its side.
   */
  diff(a: ResolvedVersion, b: ResolvedVersion, query: DiffQuery): Page<UnitChange> {
    checkPageLimit(query.limit);
    const low = Math.min(a.version, b.version);
    const high = Math.max(a.version, b.version);
    const candidates = (column: 'added_in' | 'removed_in'): Conditions =>
      new Conditions()
        .add(`repository_id = ? AND ${column} > ? AND ${column} <= ?`, a.repositoryId, low, high)
        .keyWindow('unit_key', query.afterKey, query.type);
    const started = candidates('added_in');
    const ended = candidates('removed_in');
    const presentAt = `added_in <= ? AND (removed_in IS NULL OR removed_in > ?)`;
    const rows = this.reader
      .get(
        `SELECT unit_key, max(${presentAt}) AS in_a, max(${presentAt}) AS in_b FROM (
           SELECT unit_key, added_in, removed_in FROM repository_content ${started.toSql()}
           UNION ALL
           SELECT unit_key, added_in, removed_in FROM repository_content ${ended.toSql()}
         ) GROUP BY unit_key HAVING in_a <> in_b ORDER BY unit_key LIMIT ?`,
      )
      .all(
        a.version,
        a.version,
        b.version,
        b.version,
        ...started.params,
        ...ended.params,
        query.limit + 1,
      ) as { unit_key: UnitKey; in_b: number }[];
    const changes = rows.map((row): UnitChange => ({
      key: row.unit_key,
      change: row.in_b ? 'added' : 'removed',
    }));
    return pageFromLookahead(changes, query.limit, (change) => change.key);
  }

  presentAmong(at: ResolvedVersion, keys: readonly UnitKey[]): UnitKey[] {
    const where = addMembership(
      new Conditions().add('c.unit_key IN (SELECT value FROM json_each(?))', JSON.stringify(keys)),
      'c',
      at,
      'present',
    );
    return this.reader
      .get(`SELECT c.unit_key FROM repository_content c ${where.toSql()} ORDER BY c.unit_key`)
      .pluck()
      .all(...where.params) as UnitKey[];
  }

  presentTagsNamed(at: ResolvedVersion, names: readonly string[]): UnitKey[] {
    const ranges = [...new Set(names)].map((name) => {
      const range = tagNameKeyRange(name);
      return [range.from, range.to];
    });
    const where = addMembership(new Conditions(), 'c', at, 'present');
    return this.reader
      .get(
        // CROSS JOIN fixes the loop order: one key range seek per name, never a walk of the version.
        `SELECT c.unit_key FROM json_each(?) AS tag_range
         CROSS JOIN repository_content c
           ON c.unit_key >= tag_range.value ->> 0 AND c.unit_key < tag_range.value ->> 1
         ${where.toSql()} ORDER BY c.unit_key`,
      )
      .pluck()
      .all(JSON.stringify(ranges), ...where.params) as UnitKey[];
  }

  referrers(at: ResolvedVersion, keys: readonly UnitKey[]): UnitReference[] {
    const where = addMembership(new Conditions(), 'c', at, 'present');
    const rows = this.reader
      .get(
        // CROSS JOIN fixes the loop order: from the keys to their referrers (unit_references_to) to each
        // referrer's row in the version, never a walk of the version's rows.
        `SELECT r.from_key, r.to_key FROM json_each(?) AS wanted
         CROSS JOIN unit_references r ON r.to_key = wanted.value
         CROSS JOIN repository_content c ON c.unit_key = r.from_key
         ${where.toSql()} ORDER BY r.from_key, r.to_key`,
      )
      .all(JSON.stringify(keys), ...where.params) as { from_key: UnitKey; to_key: UnitKey }[];
    return rows.map((row) => ({ from: row.from_key, to: row.to_key }));
  }

  summary(at: ResolvedVersion): VersionSummary {
    if (at.repositoryId === NO_REPOSITORY) return emptySummary();
    return this.readSummary(this.reader, at.repositoryId, at.version);
  }

  private repositoryRow(connection: StatementCache, repository: string): RepositoryRow | undefined {
    return connection.get('SELECT id, last_applied FROM repositories WHERE name = ?').get(repository) as
      RepositoryRow | undefined;
  }

  private createRepository(repository: string): number {
    const { lastInsertRowid } = this.writer
      .get('INSERT INTO repositories (name, last_applied) VALUES (?, 0)')
      .run(repository);
    const repositoryId = Number(lastInsertRowid);
    this.writer
      .get('INSERT INTO repository_versions (repository_id, version, summary) VALUES (?, 0, ?)')
      .run(repositoryId, JSON.stringify(emptySummary()));
    return repositoryId;
  }

  private applyChunk(repositoryId: number, version: number, chunk: VersionChunk): void {
    // Guarding on added_in < version keeps a key added earlier in this same version from being closed
    // again (a removal of a key the previous version did not hold changes nothing).
    this.writer
      .get(
        `UPDATE repository_content SET removed_in = ?
         WHERE repository_id = ? AND removed_in IS NULL AND added_in < ?
           AND unit_key IN (SELECT value FROM json_each(?))`,
      )
      .run(version, repositoryId, version, JSON.stringify(chunk.removed));
    // OR IGNORE: the unique _latest index turns the add of an already present key into a no-op.
    const insert = this.writer.get(
      'INSERT OR IGNORE INTO repository_content (repository_id, unit_key, added_in) VALUES (?, ?, ?)',
    );
    for (const key of chunk.added) {
      unitTypeOf(key);
      insert.run(repositoryId, key, version);
    }
  }

  /** What a version added and removed, per type, recounted from its rows in O(its changes). */
  private changeCounts(
    repositoryId: number,
    version: number,
  ): { added: Record<UnitType, number>; removed: Record<UnitType, number> } {
    return {
      added: this.countByType(repositoryId, 'added_in', version),
      removed: this.countByType(repositoryId, 'removed_in', version),
    };
  }

  private countByType(
    repositoryId: number,
    column: 'added_in' | 'removed_in',
    version: number,
  ): Record<UnitType, number> {
    const rows = this.writer
      .get(
        `SELECT ${KEY_TYPE} AS type, count(*) AS n FROM repository_content
         WHERE repository_id = ? AND ${column} = ? GROUP BY 1`,
      )
      .all(repositoryId, version) as TypeCount[];
    const counts: Record<UnitType, number> = { blob: 0, manifest: 0, tag: 0 };
    for (const row of rows) counts[row.type] = row.n;
    return counts;
  }

  private storedSummary(repositoryId: number, version: number): VersionSummary {
    return this.readSummary(this.writer, repositoryId, version);
  }

  private readSummary(connection: StatementCache, repositoryId: number, version: number): VersionSummary {
    const summary = connection
      .get('SELECT summary FROM repository_versions WHERE repository_id = ? AND version = ?')
      .pluck()
      .get(repositoryId, version) as string | undefined;
    if (summary === undefined) {
      throw new Error(`repository #${repositoryId}: no summary stored for version ${version}`);
    }
    return JSON.parse(summary) as VersionSummary;
  }

  /** The squash itself; runs inside deleteVersionTransaction. The order of the three row updates matters. */
  private squashVersion(repository: string, version: number): boolean {
    const repo = this.repositoryRow(this.writer, repository);
    if (!repo || version < 0 || version > repo.last_applied)
      throw new VersionNotFoundError(repository, version);
    if (version === repo.last_applied) throw new LatestVersionDeletionError(repository, version);
    const live = this.writer
      .get('SELECT 1 FROM repository_versions WHERE repository_id = ? AND version = ?')
      .get(repo.id, version);
    if (!live) return false;
    const successor = this.writer
      .get('SELECT min(version) FROM repository_versions WHERE repository_id = ? AND version > ?')
      .pluck()
      .get(repo.id, version) as number;
    const params = { repositoryId: repo.id, deleted: version, successor };
    // First drop what lived only in the deleted version, or moving its added rows would give them an empty
    // stretch [successor, successor).
    this.writer
      .get(
        `DELETE FROM repository_content
         WHERE repository_id = @repositoryId AND added_in = @deleted AND removed_in = @successor`,
      )
      .run(params);
    this.writer
      .get(
        `UPDATE repository_content SET added_in = @successor
         WHERE repository_id = @repositoryId AND added_in = @deleted`,
      )
      .run(params);
    this.writer
      .get(
        `UPDATE repository_content SET removed_in = @successor
         WHERE repository_id = @repositoryId AND removed_in = @deleted`,
      )
      .run(params);
    // The successor still holds what it held; only what it counts as added and removed has changed.
    const before = this.storedSummary(repo.id, successor);
    const { added, removed } = this.changeCounts(repo.id, successor);
    const recounted = summaryOf((type) => ({
      present: before[type].present,
      added: added[type],
      removed: removed[type],
    }));
    this.writer
      .get('UPDATE repository_versions SET summary = ? WHERE repository_id = ? AND version = ?')
      .run(JSON.stringify(recounted), repo.id, successor);
    this.writer
      .get('DELETE FROM repository_versions WHERE repository_id = ? AND version = ?')
      .run(repo.id, version);
    return true;
  }

  private forgetRepository(repository: string): void {
    const repo = this.repositoryRow(this.writer, repository);
    if (!repo) return;
    this.writer.get('DELETE FROM repository_content WHERE repository_id = ?').run(repo.id);
    this.writer.get('DELETE FROM repository_versions WHERE repository_id = ?').run(repo.id);
    this.writer.get('DELETE FROM repositories WHERE id = ?').run(repo.id);
  }
}

function summaryOf(counts: (type: UnitType) => UnitCounts): VersionSummary {
  return Object.fromEntries(UNIT_TYPES.map((type) => [type, counts(type)])) as Record<UnitType, UnitCounts>;
}

function emptySummary(): VersionSummary {
  return summaryOf(() => ({ present: 0, added: 0, removed: 0 }));
}
