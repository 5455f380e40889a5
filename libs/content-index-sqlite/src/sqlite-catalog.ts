import type { Transaction } from 'better-sqlite3';
import type { CatalogUnit, UnitKey } from '@wharf/contracts';
import {
  checkPageLimit,
  pageFromLookahead,
  tagNameKeyRange,
  type Page,
  type PageRequest,
  type UnitFilter,
  type UnitReference,
  type VersionMembership,
} from '@wharf/ports';
import { Conditions, addMembership, type ResolvedVersion } from './sql-conditions.js';
import type { StatementCache } from './statement-cache.js';

interface UnitRow {
  readonly unit_key: UnitKey;
  readonly unit: string;
}

/** Restricts a catalog listing to one membership of a version (already resolved to be live). */
export interface VersionScope {
  readonly at: ResolvedVersion;
  readonly membership: VersionMembership;
}

const NOT_IN_ANY_REPOSITORY = `NOT EXISTS (SELECT 1 FROM repository_content c WHERE c.unit_key = u.unit_key)`;

/**
 * The catalog tables: units (each stored whole as JSON beside the columns that filters use) and the
 * references between them.
 */
export class SqliteCatalog {
  private readonly recordTransaction: Transaction<(units: readonly CatalogUnit[]) => void>;
  private readonly deleteTransaction: Transaction<(keys: readonly UnitKey[]) => UnitKey[]>;

  constructor(
    private readonly writer: StatementCache,
    private readonly reader: StatementCache,
  ) {
    this.recordTransaction = writer.db.transaction((units: readonly CatalogUnit[]) =>
      this.insertUnits(units),
    );
    this.deleteTransaction = writer.db.transaction((keys: readonly UnitKey[]) => this.deleteOrphans(keys));
  }

  record(units: readonly CatalogUnit[]): void {
    this.recordTransaction.immediate(units);
  }

  get(keys: readonly UnitKey[]): CatalogUnit[] {
    const rows = this.reader
      .get(
        `SELECT unit_key, unit FROM units WHERE unit_key IN (SELECT value FROM json_each(?)) ORDER BY unit_key`,
      )
      .all(JSON.stringify(keys)) as UnitRow[];
    return rows.map(toUnit);
  }

  findByDigest(digest: string): CatalogUnit[] {
    const rows = this.reader
      .get('SELECT unit_key, unit FROM units WHERE digest = ? ORDER BY unit_key')
      .all(digest) as UnitRow[];
    return rows.map(toUnit);
  }

  /**
   * Without a version, a walk of the units in key order (or of units_digest / units_media_type). With one,
   * the walk follows that version's repository_content rows in key order and joins each to its unit.
   */
  list(filter: UnitFilter, page: PageRequest, scope?: VersionScope): Page<CatalogUnit> {
    checkPageLimit(page.limit);
    const keyColumn = scope ? 'c.unit_key' : 'u.unit_key';
    const where = new Conditions();
    if (scope) addMembership(where, 'c', scope.at, scope.membership);
    where.keyWindow(keyColumn, page.afterKey, filter.type);
    if (filter.tagName !== undefined) {
      const range = tagNameKeyRange(filter.tagName);
      where.add(`${keyColumn} >= ? AND ${keyColumn} < ?`, range.from, range.to);
    }
    if (filter.digest !== undefined) where.add('u.digest = ?', filter.digest);
    if (filter.mediaType !== undefined) where.add('u.media_type = ?', filter.mediaType);
    const from = scope ? 'repository_content c JOIN units u ON u.unit_key = c.unit_key' : 'units u';
    const rows = this.reader
      .get(`SELECT u.unit_key, u.unit FROM ${from} ${where.toSql()} ORDER BY ${keyColumn} LIMIT ?`)
      .all(...where.params, page.limit + 1) as UnitRow[];
    return pageFromLookahead(rows.map(toUnit), page.limit, (unit) => unit.key);
  }

  referencesOf(keys: readonly UnitKey[]): UnitReference[] {
    const rows = this.reader
      .get(
        `SELECT from_key, to_key FROM unit_references
         WHERE from_key IN (SELECT value FROM json_each(?)) ORDER BY from_key, to_key`,
      )
      .all(JSON.stringify(keys)) as { from_key: UnitKey; to_key: UnitKey }[];
    return rows.map((row) => ({ from: row.from_key, to: row.to_key }));
  }

  /** A walk of the units in key order that checks each against repository_content's _unit index. */
  listOrphans(olderThan: Date, limit: number, afterKey: UnitKey | undefined): CatalogUnit[] {
    checkPageLimit(limit);
    const where = new Conditions()
      .add('u.created_at < ?', olderThan.getTime())
      .keyWindow('u.unit_key', afterKey, undefined)
      .add(NOT_IN_ANY_REPOSITORY);
    const rows = this.reader
      .get(`SELECT u.unit_key, u.unit FROM units u ${where.toSql()} ORDER BY u.unit_key LIMIT ?`)
      .all(...where.params, limit) as UnitRow[];
    return rows.map(toUnit);
  }

  delete(keys: readonly UnitKey[]): UnitKey[] {
    return this.deleteTransaction.immediate(keys);
  }

  private insertUnits(units: readonly CatalogUnit[]): void {
    const insertUnit = this.writer.get(
      `INSERT OR IGNORE INTO units (unit_key, digest, media_type, created_at, unit) VALUES (?, ?, ?, ?, ?)`,
    );
    const insertReference = this.writer.get(
      'INSERT OR IGNORE INTO unit_references (from_key, to_key) VALUES (?, ?)',
    );
    for (const unit of units) {
      const createdAt = Date.parse(unit.createdAt);
      if (Number.isNaN(createdAt)) {
        throw new Error(
          `catalog unit ${unit.key}: createdAt ${JSON.stringify(unit.createdAt)} is not a date`,
        );
      }
      const { changes } = insertUnit.run(
        unit.key,
        unit.digest,
        unit.manifest?.mediaType ?? null,
        createdAt,
        JSON.stringify(unit),
      );
      // A unit already recorded came with the same references (its key fixes its content).
      if (changes === 0) continue;
      for (const to of unit.references) insertReference.run(unit.key, to);
    }
  }

  private deleteOrphans(keys: readonly UnitKey[]): UnitKey[] {
    const deleteUnit = this.writer.get(
      `DELETE FROM units AS u WHERE u.unit_key = ? AND ${NOT_IN_ANY_REPOSITORY}`,
    );
    const deleteReferences = this.writer.get('DELETE FROM unit_references WHERE from_key = ?');
    const deleted: UnitKey[] = [];
    for (const key of new Set(keys)) {
      if (deleteUnit.run(key).changes === 0) continue;
      deleteReferences.run(key);
      deleted.push(key);
    }
    return deleted.sort();
  }
}

function toUnit(row: UnitRow): CatalogUnit {
  return JSON.parse(row.unit) as CatalogUnit;
}
