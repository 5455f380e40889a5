import Database from 'better-sqlite3';
import type { CatalogUnit, UnitKey } from '@wharf/contracts';
import {
  ContentIndex,
  type DiffQuery,
  type Page,
  type PageRequest,
  type UnitChange,
  type UnitFilter,
  type UnitReference,
  type VersionChanges,
  type VersionSummary,
  type VersionUnitsQuery,
} from '@wharf/ports';
import { SerialQueue } from './serial-queue.js';
import { SqliteCatalog } from './sqlite-catalog.js';
import { createSchema } from './sqlite-schema.js';
import { SqliteVersionIndex } from './sqlite-version-index.js';
import { StatementCache } from './statement-cache.js';

export interface SqliteContentIndexOptions {
  /** The database file; created with its tables when missing. */
  readonly path: string;
}

const BUSY_TIMEOUT_MS = 5_000;

/**
 * The embedded ContentIndex: one SQLite file in WAL mode, opened twice. The writer connection takes every
 * write, one at a time (see SerialQueue); the reader connection answers every read from the last committed
 * state, so reads never wait for a version being applied and never see part of one.
 */
export class SqliteContentIndex extends ContentIndex {
  private readonly writer: Database.Database;
  private readonly reader: Database.Database;
  private readonly writes = new SerialQueue();
  private readonly catalog: SqliteCatalog;
  private readonly versions: SqliteVersionIndex;

  constructor(options: SqliteContentIndexOptions) {
    super();
    this.writer = new Database(options.path);
    this.writer.pragma('journal_mode = WAL');
    // The index is a projection of the event store and can be rebuilt from it, so losing the last
    // transactions on power failure (NORMAL) is an acceptable price for not syncing on every commit.
    this.writer.pragma('synchronous = NORMAL');
    this.writer.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    createSchema(this.writer);
    this.reader = new Database(options.path, { readonly: true });
    this.reader.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const writerStatements = new StatementCache(this.writer);
    const readerStatements = new StatementCache(this.reader);
    this.catalog = new SqliteCatalog(writerStatements, readerStatements);
    this.versions = new SqliteVersionIndex(writerStatements, readerStatements);
  }

  override recordUnits(units: readonly CatalogUnit[]): Promise<void> {
    return this.writes.run(() => this.catalog.record(units));
  }

  override async getUnits(keys: readonly UnitKey[]): Promise<CatalogUnit[]> {
    return this.catalog.get(keys);
  }

  override async findByDigest(digest: string): Promise<CatalogUnit[]> {
    return this.catalog.findByDigest(digest);
  }

  override async listUnits(filter: UnitFilter, page: PageRequest): Promise<Page<CatalogUnit>> {
    const scope = filter.inVersion && {
      at: this.versions.resolve(filter.inVersion.repository, filter.inVersion.version),
      membership: filter.inVersion.membership ?? 'present',
    };
    return this.catalog.list(filter, page, scope);
  }

  override async referencesOf(keys: readonly UnitKey[]): Promise<UnitReference[]> {
    return this.catalog.referencesOf(keys);
  }

  override async listOrphans(olderThan: Date, limit: number, afterKey?: UnitKey): Promise<CatalogUnit[]> {
    return this.catalog.listOrphans(olderThan, limit, afterKey);
  }

  override deleteUnits(keys: readonly UnitKey[]): Promise<UnitKey[]> {
    return this.writes.run(() => this.catalog.delete(keys));
  }

  override async lastAppliedVersion(repository: string): Promise<number> {
    return this.versions.lastAppliedVersion(repository);
  }

  override applyVersion(repository: string, version: number, changes: VersionChanges): Promise<boolean> {
    return this.writes.run(() => this.versions.apply(repository, version, changes));
  }

  override deleteVersion(repository: string, version: number): Promise<boolean> {
    return this.writes.run(() => this.versions.deleteVersion(repository, version));
  }

  override deleteRepository(repository: string): Promise<void> {
    return this.writes.run(() => this.versions.deleteRepository(repository));
  }

  override async listVersionUnits(
    repository: string,
    version: number,
    query: VersionUnitsQuery,
  ): Promise<Page<UnitKey>> {
    return this.versions.listKeys(this.versions.resolve(repository, version), query);
  }

  override async diff(repository: string, a: number, b: number, query: DiffQuery): Promise<Page<UnitChange>> {
    return this.versions.diff(
      this.versions.resolve(repository, a),
      this.versions.resolve(repository, b),
      query,
    );
  }

  override async presentAmong(
    repository: string,
    version: number,
    keys: readonly UnitKey[],
  ): Promise<UnitKey[]> {
    return this.versions.presentAmong(this.versions.resolve(repository, version), keys);
  }

  override async presentTagsNamed(
    repository: string,
    version: number,
    names: readonly string[],
  ): Promise<UnitKey[]> {
    return this.versions.presentTagsNamed(this.versions.resolve(repository, version), names);
  }

  override async referrersInVersion(
    repository: string,
    version: number,
    keys: readonly UnitKey[],
  ): Promise<UnitReference[]> {
    return this.versions.referrers(this.versions.resolve(repository, version), keys);
  }

  override async countSummary(repository: string, version: number): Promise<VersionSummary> {
    return this.versions.summary(this.versions.resolve(repository, version));
  }

  override async ping(): Promise<void> {
    this.reader.prepare('SELECT 1').get();
  }

  override async close(): Promise<void> {
    await this.writes.drain();
    this.reader.close();
    this.writer.close();
  }
}
