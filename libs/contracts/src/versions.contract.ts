import type { CatalogUnit, OnDemandSource, UnitKey, UnitType } from './content-unit.js';
import type { Page } from './repository.contract.js';

/*
 * Repository versions and content units over the bus, answered by the content service. Reads page by key
 * (`afterKey` + `limit`, see KeysetPage) so that a page of a 200,000-unit version costs what the page holds;
 * only the version list, which is short, pages by offset.
 */

/** Units per type. */
export type UnitTypeCounts = Readonly<Record<UnitType, number>>;

/** Pulp's content_summary: per type, what a version added and removed against its predecessor, and holds. */
export interface ContentSummaryView {
  readonly added: UnitTypeCounts;
  readonly removed: UnitTypeCounts;
  readonly present: UnitTypeCounts;
}

export interface RepositoryVersionView {
  readonly repositoryId: string;
  readonly number: number;
  /** The version the change was based on (Pulp's base_version); null when it was the latest. */
  readonly baseVersion: number | null;
  readonly contentSummary: ContentSummaryView;
  readonly createdAt: string;
}

/** A page of a key-ordered listing; `nextAfterKey` is present only when more items follow. */
export interface KeysetPage<T> {
  readonly items: readonly T[];
  readonly nextAfterKey?: UnitKey;
}

export interface KeysetPageRequest {
  /** Start after this key (the previous page's `nextAfterKey`). */
  readonly afterKey?: UnitKey;
  /** 1 to MAX_KEYSET_PAGE_LIMIT. */
  readonly limit: number;
}

export const MAX_KEYSET_PAGE_LIMIT = 5_000;

export type VersionMembershipFilter = 'present' | 'added' | 'removed';

export interface VersionRef {
  readonly repositoryId: string;
  readonly version: number;
}

export interface ListVersionsRequest {
  readonly repositoryId: string;
  /** Only the version with this number. */
  readonly number?: number;
  readonly offset: number;
  readonly limit: number;
}

export interface ListVersionUnitsRequest extends VersionRef, KeysetPageRequest {
  readonly membership: VersionMembershipFilter;
  readonly type?: UnitType;
}

export interface DiffVersionsRequest extends KeysetPageRequest {
  readonly repositoryId: string;
  /** The version compared from; 'added' keys are in `to` and not in `from`. */
  readonly from: number;
  readonly to: number;
  readonly type?: UnitType;
}

export interface VersionDiffEntry {
  readonly key: UnitKey;
  readonly change: 'added' | 'removed';
}

export interface ListUnitsRequest extends KeysetPageRequest {
  readonly type?: UnitType;
  /** A blob's or manifest's digest, or the manifest digest a tag points at. */
  readonly digest?: string;
  /** Tags of exactly this name. */
  readonly name?: string;
  /** Manifests of exactly this media type. */
  readonly mediaType?: string;
  /** Only units present in (or added or removed by) this version. */
  readonly repositoryVersion?: VersionRef & { readonly membership?: VersionMembershipFilter };
}

/**
 * A manifest as the catalog records it. Its exact bytes are in the blob store under `bytesDigest`, which
 * differs from `digest` only for signed schema 1 manifests (named by the digest of their signed payload,
 * while the blob store can only name bytes by their own digest).
 */
export interface ManifestUnit extends CatalogUnit {
  readonly type: 'manifest';
  readonly bytesDigest: string;
}

/** The blob store name of a manifest unit's exact bytes (units recorded without it keep them under `digest`). */
export function manifestBytesDigest(unit: CatalogUnit): string {
  return (unit as Partial<ManifestUnit>).bytesDigest ?? unit.digest;
}

export interface RecordManifestRequest {
  /** The manifest's exact bytes, base64. */
  readonly bytes: string;
  /** The Content-Type it came with, if any. */
  readonly mediaType?: string;
}

export interface RecordBlobRequest {
  /** A blob already in the blob store, or (with onDemand) one whose bytes are fetched when first pulled. */
  readonly digest: string;
  readonly size: number;
  /** Records the blob without its bytes, remembering where to fetch them (sync policy on_demand). */
  readonly onDemand?: OnDemandSource;
}

/** Where a copy takes content from: a repository's version, by default its latest. */
export interface CopySource {
  readonly repositoryId: string;
  readonly version?: number;
}

export interface VersionWriteRequest {
  readonly repositoryId: string;
}

export interface ModifyVersionRequest extends VersionWriteRequest {
  /** Unit keys to add, with everything they reference. */
  readonly add?: readonly UnitKey[];
  /** Unit keys to remove, with what they reference and nothing else needs; '*' empties the version. */
  readonly remove?: readonly UnitKey[] | '*';
  /** The version the change applies to (Pulp's base_version); default the latest. */
  readonly baseVersion?: number;
  /**
   * Manifests that lists being added list but that stay out of the version (a sync's platforms filter):
   * the list is added without them, and without what only they reference.
   */
  readonly leftOut?: readonly UnitKey[];
}

export interface AddUnitsRequest extends VersionWriteRequest {
  readonly units: readonly UnitKey[];
  readonly baseVersion?: number;
}

export interface RemoveUnitsRequest extends VersionWriteRequest {
  readonly units: readonly UnitKey[] | '*';
  readonly baseVersion?: number;
}

export interface CopyTagsRequest extends VersionWriteRequest {
  readonly source: CopySource;
  /** Tag names to copy (with their manifests and blobs); all of the source's tags when absent. */
  readonly names?: readonly string[];
}

export interface CopyManifestsRequest extends VersionWriteRequest {
  readonly source: CopySource;
  /** Manifests to copy (with what they reference, without tags); all matching when absent. */
  readonly digests?: readonly string[];
  /** Only manifests of these media types. */
  readonly mediaTypes?: readonly string[];
}

export interface TagRequest extends VersionWriteRequest {
  readonly tag: string;
  readonly digest: string;
}

export interface UntagRequest extends VersionWriteRequest {
  readonly tag: string;
}

export interface RollbackRequest extends VersionWriteRequest {
  /** The version whose content the new version takes. */
  readonly version: number;
}

/** What a write produced: the new version, or the unchanged latest when there was nothing to change. */
export interface VersionWriteResult {
  readonly version: RepositoryVersionView;
  readonly created: boolean;
}

export interface OrphanCleanupRequest {
  /** Units recorded less than this long ago are kept, in use or not. */
  readonly protectionTimeMs: number;
}

export interface OrphanCleanupResult {
  /** Catalog units deleted, per type. */
  readonly deleted: UnitTypeCounts;
  /** Objects removed from the blob store. */
  readonly blobsRemoved: number;
}

/** The queries of the content service about versions and units, merged into QueryMap. */
export interface VersionQueryMap {
  'content.version.list': { request: ListVersionsRequest; response: Page<RepositoryVersionView> };
  'content.version.get': { request: VersionRef; response: RepositoryVersionView };
  'content.version.units': { request: ListVersionUnitsRequest; response: KeysetPage<UnitKey> };
  'content.version.diff': { request: DiffVersionsRequest; response: KeysetPage<VersionDiffEntry> };
  'content.version.modify': { request: ModifyVersionRequest; response: VersionWriteResult };
  'content.version.add': { request: AddUnitsRequest; response: VersionWriteResult };
  'content.version.remove': { request: RemoveUnitsRequest; response: VersionWriteResult };
  'content.version.copy_tags': { request: CopyTagsRequest; response: VersionWriteResult };
  'content.version.copy_manifests': { request: CopyManifestsRequest; response: VersionWriteResult };
  'content.version.tag': { request: TagRequest; response: VersionWriteResult };
  'content.version.untag': { request: UntagRequest; response: VersionWriteResult };
  'content.version.rollback': { request: RollbackRequest; response: VersionWriteResult };
  'content.version.delete': { request: VersionRef; response: VersionRef };
  'content.unit.list': { request: ListUnitsRequest; response: KeysetPage<CatalogUnit> };
  'content.unit.get': { request: { key: UnitKey }; response: CatalogUnit };
  'content.manifest.record': { request: RecordManifestRequest; response: CatalogUnit };
  'content.blob.record': { request: RecordBlobRequest; response: CatalogUnit };
  'content.orphans.cleanup': { request: OrphanCleanupRequest; response: OrphanCleanupResult };
}
