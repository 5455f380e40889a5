import type { Filter } from 'mongodb';
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
import {
  inBatches,
  insertIgnoringDuplicates,
  type ContentIndexCollections,
  type UnitDocument,
} from './mongo-documents.js';
import { keyWindow, membershipQuery, withKeyConditions, type ResolvedVersion } from './mongo-row-filters.js';

/** Restricts a catalog listing to one membership of a version (already resolved to be live). */
export interface VersionScope {
  readonly at: ResolvedVersion;
  readonly membership: VersionMembership;
}

/** Units read per round trip when a listing or sweep has to skip units that do not qualify. */
const SCAN_BATCH = 1_000;

/**
 * The catalog: one document per unit, keyed by the unit key, with its references as a multikey array
 * (which answers "who references this?" without a separate collection).
 */
export class MongoCatalog {
  constructor(private readonly collections: ContentIndexCollections) {}

  async record(units: readonly CatalogUnit[]): Promise<void> {
    const documents = units.map((unit): UnitDocument => {
      const createdAt = new Date(unit.createdAt);
      if (Number.isNaN(createdAt.getTime())) {
        throw new Error(
          `catalog unit ${unit.key}: createdAt ${JSON.stringify(unit.createdAt)} is not a date`,
        );
      }
      return {
        _id: unit.key,
        digest: unit.digest,
        mediaType: unit.manifest?.mediaType ?? null,
        createdAt,
        references: unit.references,
        json: JSON.stringify(unit),
      };
    });
    // A key already recorded keeps its first document: the key fixes the content, and so the facts.
    for (const batch of inBatches(documents)) await insertIgnoringDuplicates(this.collections.units, batch);
  }

  async get(keys: readonly UnitKey[]): Promise<CatalogUnit[]> {
    const found: CatalogUnit[] = [];
    for (const batch of inBatches([...new Set(keys)].sort())) {
      found.push(...(await this.findUnits({ _id: { $in: batch } })));
    }
    return found;
  }

  findByDigest(digest: string): Promise<CatalogUnit[]> {
    return this.findUnits({ digest });
  }

  /**
   * Without a version, one query in key order. With one, a merge in key order of that version's rows with
   * the units: driven by the units when a digest narrows them to a few, by the rows otherwise.
   */
  async list(filter: UnitFilter, page: PageRequest, scope?: VersionScope): Promise<Page<CatalogUnit>> {
    checkPageLimit(page.limit);
    const unitFilter = this.unitFilter(filter);
    const units = !scope
      ? await this.findUnits(withIdConditions(unitFilter, page.afterKey), page.limit + 1)
      : filter.digest !== undefined
        ? await this.unitsThenRows(unitFilter, scope, page)
        : await this.rowsThenUnits(unitFilter, filter, scope, page);
    return pageFromLookahead(units, page.limit, (unit) => unit.key);
  }

  async referencesOf(keys: readonly UnitKey[]): Promise<UnitReference[]> {
    const wanted = [...new Set(keys)].sort();
    const references: UnitReference[] = [];
    for (const batch of inBatches(wanted)) {
      const units = await this.collections.units
        .find({ _id: { $in: batch } }, { projection: { _id: 1, references: 1 } })
        .sort({ _id: 1 })
        .toArray();
      for (const unit of units) {
        for (const to of [...unit.references].sort()) references.push({ from: unit._id, to });
      }
    }
    return references;
  }

  /** Every (referrer, key) edge into `keys`, from any unit in the catalog; the caller narrows to a version. */
  async referencesTo(keys: readonly UnitKey[]): Promise<UnitReference[]> {
    const references: UnitReference[] = [];
    for (const batch of inBatches([...new Set(keys)])) {
      const wanted = new Set(batch);
      const referrers = await this.collections.units
        .find({ references: { $in: batch } }, { projection: { _id: 1, references: 1 } })
        .toArray();
      for (const referrer of referrers) {
        for (const to of referrer.references) if (wanted.has(to)) references.push({ from: referrer._id, to });
      }
    }
    return references;
  }

  /** A walk of the units in key order, a batch at a time, each batch checked against the rows' {key} index. */
  async listOrphans(olderThan: Date, limit: number, afterKey: UnitKey | undefined): Promise<CatalogUnit[]> {
    checkPageLimit(limit);
    const orphans: CatalogUnit[] = [];
    let cursorKey = afterKey;
    while (orphans.length < limit) {
      const batch = await this.findUnits(
        withIdConditions({ createdAt: { $lt: olderThan } }, cursorKey),
        SCAN_BATCH,
      );
      if (!batch.length) break;
      const held = await this.heldKeys(batch.map((unit) => unit.key));
      orphans.push(...batch.filter((unit) => !held.has(unit.key)).slice(0, limit - orphans.length));
      cursorKey = batch[batch.length - 1]!.key;
    }
    return orphans;
  }

  /**
   * Without transactions there is a short window between the check and the delete in which a version
   * could gain one of these units; the content service closes it by running cleanup as one of its
   * serialized writes.
   */
  async delete(keys: readonly UnitKey[]): Promise<UnitKey[]> {
    const deleted: UnitKey[] = [];
    for (const batch of inBatches([...new Set(keys)].sort())) {
      const held = await this.heldKeys(batch);
      const candidates = batch.filter((key) => !held.has(key));
      const existing = await this.collections.units
        .find({ _id: { $in: candidates } }, { projection: { _id: 1 } })
        .toArray();
      const doomed = existing.map((unit) => unit._id);
      await this.collections.units.deleteMany({ _id: { $in: doomed } });
      deleted.push(...doomed);
    }
    return deleted.sort();
  }

  private unitFilter(filter: UnitFilter): Filter<UnitDocument> {
    const conditions: Filter<UnitDocument>[] = keyWindow(
      '_id',
      undefined,
      filter.type,
      filter.tagName === undefined ? undefined : tagNameKeyRange(filter.tagName),
    );
    if (filter.digest !== undefined) conditions.push({ digest: filter.digest });
    if (filter.mediaType !== undefined) conditions.push({ mediaType: filter.mediaType });
    return conditions.length ? { $and: conditions } : {};
  }

  /** The version's rows in key order, a batch at a time, joined to the units that pass the filter. */
  private async rowsThenUnits(
    unitFilter: Filter<UnitDocument>,
    filter: UnitFilter,
    scope: VersionScope,
    page: PageRequest,
  ): Promise<CatalogUnit[]> {
    const tagRange = filter.tagName === undefined ? undefined : tagNameKeyRange(filter.tagName);
    const wanted = page.limit + 1;
    const units: CatalogUnit[] = [];
    let cursorKey = page.afterKey;
    while (units.length < wanted) {
      const query = withKeyConditions(
        membershipQuery(scope.at, scope.membership),
        keyWindow('key', cursorKey, filter.type, tagRange),
      );
      const rows = await this.collections.rows
        .find(query.filter, { hint: query.hint, projection: { _id: 0, key: 1 } })
        .sort({ key: 1 })
        // Type and tag name already narrow the rows; only a media type (or a row without a catalog unit)
        // can make a row fall out at the join, and only then is reading ahead worth it.
        .limit(filter.mediaType === undefined ? wanted : Math.max(wanted, SCAN_BATCH))
        .toArray();
      if (!rows.length) break;
      const keys = rows.map((row) => row.key);
      const joined = await this.findUnits({ $and: [unitFilter, { _id: { $in: keys } }] });
      units.push(...joined.slice(0, wanted - units.length));
      cursorKey = keys[keys.length - 1];
    }
    return units;
  }

  /** The few units with the digest, in key order, kept when the version has them. */
  private async unitsThenRows(
    unitFilter: Filter<UnitDocument>,
    scope: VersionScope,
    page: PageRequest,
  ): Promise<CatalogUnit[]> {
    const candidates = await this.findUnits(withIdConditions(unitFilter, page.afterKey));
    const query = withKeyConditions(membershipQuery(scope.at, scope.membership), [
      { key: { $in: candidates.map((unit) => unit.key) } },
    ]);
    const rows = await this.collections.rows.find(query.filter, { projection: { _id: 0, key: 1 } }).toArray();
    const inVersion = new Set(rows.map((row) => row.key));
    return candidates.filter((unit) => inVersion.has(unit.key)).slice(0, page.limit + 1);
  }

  private async heldKeys(keys: readonly UnitKey[]): Promise<Set<UnitKey>> {
    return new Set(await this.collections.rows.distinct('key', { key: { $in: [...keys] } }));
  }

  private async findUnits(filter: Filter<UnitDocument>, limit?: number): Promise<CatalogUnit[]> {
    const cursor = this.collections.units.find(filter, { projection: { json: 1 } }).sort({ _id: 1 });
    const documents = await (limit === undefined ? cursor : cursor.limit(limit)).toArray();
    return documents.map((document) => JSON.parse(document.json) as CatalogUnit);
  }
}

function withIdConditions(filter: Filter<UnitDocument>, afterKey: UnitKey | undefined): Filter<UnitDocument> {
  return afterKey === undefined ? filter : { $and: [filter, { _id: { $gt: afterKey } }] };
}
