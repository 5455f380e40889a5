import { MongoClient, type Db } from 'mongodb';
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
import { MongoCatalog } from './mongo-catalog.js';
import { openCollections, type ContentIndexCollections } from './mongo-documents.js';
import { MongoVersionIndex } from './mongo-version-index.js';

export interface MongoContentIndexOptions {
  /** A MongoDB connection string; it may carry credentials, so it is never logged. */
  readonly url: string;
  readonly database: string;
}

/**
 * The production ContentIndex on MongoDB, without multi-document transactions: each write method is a
 * series of idempotent steps, ordered so that calling it again after a failure completes it (see
 * MongoVersionIndex). Collections and indexes are created at connect.
 */
export class MongoContentIndex extends ContentIndex {
  private readonly catalog: MongoCatalog;
  private readonly versions: MongoVersionIndex;

  private constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    collections: ContentIndexCollections,
  ) {
    super();
    this.catalog = new MongoCatalog(collections);
    this.versions = new MongoVersionIndex(collections);
  }

  static async connect(options: MongoContentIndexOptions): Promise<MongoContentIndex> {
    const client = new MongoClient(options.url);
    try {
      await client.connect();
      const db = client.db(options.database);
      return new MongoContentIndex(client, db, await openCollections(db));
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  override recordUnits(units: readonly CatalogUnit[]): Promise<void> {
    return this.catalog.record(units);
  }

  override getUnits(keys: readonly UnitKey[]): Promise<CatalogUnit[]> {
    return this.catalog.get(keys);
  }

  override findByDigest(digest: string): Promise<CatalogUnit[]> {
    return this.catalog.findByDigest(digest);
  }

  override async listUnits(filter: UnitFilter, page: PageRequest): Promise<Page<CatalogUnit>> {
    const scope = filter.inVersion && {
      at: await this.versions.resolve(filter.inVersion.repository, filter.inVersion.version),
      membership: filter.inVersion.membership ?? 'present',
    };
    return this.catalog.list(filter, page, scope);
  }

  override referencesOf(keys: readonly UnitKey[]): Promise<UnitReference[]> {
    return this.catalog.referencesOf(keys);
  }

  override listOrphans(olderThan: Date, limit: number, afterKey?: UnitKey): Promise<CatalogUnit[]> {
    return this.catalog.listOrphans(olderThan, limit, afterKey);
  }

  override deleteUnits(keys: readonly UnitKey[]): Promise<UnitKey[]> {
    return this.catalog.delete(keys);
  }

  override lastAppliedVersion(repository: string): Promise<number> {
    return this.versions.lastAppliedVersion(repository);
  }

  override applyVersion(repository: string, version: number, changes: VersionChanges): Promise<boolean> {
    return this.versions.apply(repository, version, changes);
  }

  override deleteVersion(repository: string, version: number): Promise<boolean> {
    return this.versions.deleteVersion(repository, version);
  }

  override deleteRepository(repository: string): Promise<void> {
    return this.versions.deleteRepository(repository);
  }

  override async listVersionUnits(
    repository: string,
    version: number,
    query: VersionUnitsQuery,
  ): Promise<Page<UnitKey>> {
    return this.versions.listKeys(await this.versions.resolve(repository, version), query);
  }

  override async diff(repository: string, a: number, b: number, query: DiffQuery): Promise<Page<UnitChange>> {
    const [from, to] = await Promise.all([
      this.versions.resolve(repository, a),
      this.versions.resolve(repository, b),
    ]);
    return this.versions.diff(from, to, query);
  }

  override async presentAmong(
    repository: string,
    version: number,
    keys: readonly UnitKey[],
  ): Promise<UnitKey[]> {
    return this.versions.presentAmong(await this.versions.resolve(repository, version), keys);
  }

  override async presentTagsNamed(
    repository: string,
    version: number,
    names: readonly string[],
  ): Promise<UnitKey[]> {
    return this.versions.presentTagsNamed(await this.versions.resolve(repository, version), names);
  }

  /** The catalog's edges into `keys`, kept where the version holds the referrer. */
  override async referrersInVersion(
    repository: string,
    version: number,
    keys: readonly UnitKey[],
  ): Promise<UnitReference[]> {
    const at = await this.versions.resolve(repository, version);
    const references = await this.catalog.referencesTo(keys);
    const held = new Set(
      await this.versions.presentAmong(
        at,
        references.map((reference) => reference.from),
      ),
    );
    return references
      .filter((reference) => held.has(reference.from))
      .sort((x, y) => compare(x.from, y.from) || compare(x.to, y.to));
  }

  override async countSummary(repository: string, version: number): Promise<VersionSummary> {
    return this.versions.summary(await this.versions.resolve(repository, version));
  }

  override async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  override async close(): Promise<void> {
    await this.client.close();
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
