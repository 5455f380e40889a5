import { Injectable } from '@nestjs/common';
import {
  MAX_KEYSET_PAGE_LIMIT,
  UNIT_TYPES,
  type CatalogUnit,
  type ContentSummaryView,
  type DiffVersionsRequest,
  type KeysetPage,
  type KeysetPageRequest,
  type ListUnitsRequest,
  type ListVersionUnitsRequest,
  type ListVersionsRequest,
  type Page,
  type RepositoryVersionView,
  type UnitKey,
  type UnitType,
  type UnitTypeCounts,
  type VersionDiffEntry,
  type VersionMembershipFilter,
  type VersionRef,
} from '@wharf/contracts';
import {
  ContentIndex,
  VersionNotFoundError as IndexVersionNotFoundError,
  type VersionSummary,
} from '@wharf/ports';
import { RepositoryNotFoundError, VersionNotFoundError, type RepositoryState } from '@wharf/domain-content';
import { InvalidQueryError, UnitNotFoundError } from './content.errors.js';
import { RepositoryStreams } from './repository.streams.js';
import { VersionIndexProjection } from './version-index.projection.js';

const MEMBERSHIPS: readonly VersionMembershipFilter[] = ['present', 'added', 'removed'];

/**
 * The read side of versions and units: every answer comes from the version index and catalog after they
 * have caught up with the repository's stream, so a client reads its own writes.
 */
@Injectable()
export class ContentReader {
  constructor(
    private readonly index: ContentIndex,
    private readonly streams: RepositoryStreams,
    private readonly projection: VersionIndexProjection,
  ) {}

  /** Newest first, as Pulp lists them. */
  async listVersions(request: ListVersionsRequest): Promise<Page<RepositoryVersionView>> {
    const offset = nonNegativeInteger(request.offset, 'offset');
    const limit = positiveInteger(request.limit, 'limit');
    const state = await this.currentState(request.repositoryId);
    const matching = state.versions
      .filter((version) => request.number === undefined || version.number === request.number)
      .map((version) => version.number)
      .sort((a, b) => b - a);
    const results = await Promise.all(
      matching.slice(offset, offset + limit).map((number) => this.versionView(state, number)),
    );
    return { count: matching.length, results };
  }

  async getVersion(request: VersionRef): Promise<RepositoryVersionView> {
    const state = await this.currentState(request.repositoryId);
    return this.versionView(state, liveVersion(state, request.version));
  }

  async versionUnits(request: ListVersionUnitsRequest): Promise<KeysetPage<UnitKey>> {
    const page = keysetPage(request);
    const membership = membershipOf(request.membership);
    const type = unitTypeFilter(request.type);
    const state = await this.currentState(request.repositoryId);
    const version = liveVersion(state, request.version);
    return readingVersion(
      this.index.listVersionUnits(state.repositoryId, version, { ...page, membership, type }),
    );
  }

  async diff(request: DiffVersionsRequest): Promise<KeysetPage<VersionDiffEntry>> {
    const page = keysetPage(request);
    const type = unitTypeFilter(request.type);
    const state = await this.currentState(request.repositoryId);
    const from = liveVersion(state, request.from);
    const to = liveVersion(state, request.to);
    return readingVersion(this.index.diff(state.repositoryId, from, to, { ...page, type }));
  }

  async listUnits(request: ListUnitsRequest): Promise<KeysetPage<CatalogUnit>> {
    const page = keysetPage(request);
    const scope = request.repositoryVersion;
    let inVersion;
    if (scope) {
      const state = await this.currentState(scope.repositoryId);
      inVersion = {
        repository: state.repositoryId,
        version: liveVersion(state, scope.version),
        membership: membershipOf(scope.membership ?? 'present'),
      };
    }
    const filter = {
      type: unitTypeFilter(request.type),
      digest: request.digest,
      tagName: request.name,
      mediaType: request.mediaType,
      inVersion,
    };
    return readingVersion(this.index.listUnits(filter, page));
  }

  async getUnit(key: UnitKey): Promise<CatalogUnit> {
    const [unit] = await this.index.getUnits([String(key)]);
    if (!unit) throw new UnitNotFoundError(String(key));
    return unit;
  }

  /** A live version as clients see it; its counts come from the index, where squashes keep them right. */
  async versionView(state: RepositoryState, number: number): Promise<RepositoryVersionView> {
    const version = state.versions.find((candidate) => candidate.number === number);
    if (!version) throw new VersionNotFoundError(state.repositoryId, number);
    return {
      repositoryId: state.repositoryId,
      number,
      baseVersion: version.baseVersion,
      contentSummary: toContentSummary(
        await readingVersion(this.index.countSummary(state.repositoryId, number)),
      ),
      createdAt: version.createdAt,
    };
  }

  private async currentState(repositoryId: string): Promise<RepositoryState> {
    const loaded = await this.streams.load(String(repositoryId));
    if (!loaded.state.exists || loaded.state.deleted) throw new RepositoryNotFoundError(String(repositoryId));
    await this.projection.current(loaded.state.repositoryId, loaded);
    return loaded.state;
  }
}

function liveVersion(state: RepositoryState, version: number): number {
  if (!state.versions.some((candidate) => candidate.number === version)) {
    throw new VersionNotFoundError(state.repositoryId, version);
  }
  return version;
}

/** Retention may delete a version between the check and the read; that reads as the version not found. */
async function readingVersion<T>(read: Promise<T>): Promise<T> {
  try {
    return await read;
  } catch (error) {
    if (error instanceof IndexVersionNotFoundError) {
      throw new VersionNotFoundError(error.repository, error.version);
    }
    throw error;
  }
}

function toContentSummary(summary: VersionSummary): ContentSummaryView {
  const counts = (pick: (type: UnitType) => number): UnitTypeCounts =>
    Object.fromEntries(UNIT_TYPES.map((type) => [type, pick(type)])) as UnitTypeCounts;
  return {
    added: counts((type) => summary[type].added),
    removed: counts((type) => summary[type].removed),
    present: counts((type) => summary[type].present),
  };
}

function keysetPage(request: KeysetPageRequest): KeysetPageRequest {
  const limit = request.limit;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_KEYSET_PAGE_LIMIT) {
    throw new InvalidQueryError(
      'limit',
      `Ensure this value is a whole number from 1 to ${MAX_KEYSET_PAGE_LIMIT}.`,
    );
  }
  if (request.afterKey !== undefined && typeof request.afterKey !== 'string') {
    throw new InvalidQueryError('after', 'Expected the key of the last item of the previous page.');
  }
  return { limit, afterKey: request.afterKey };
}

function membershipOf(membership: VersionMembershipFilter): VersionMembershipFilter {
  if (!MEMBERSHIPS.includes(membership)) {
    throw new InvalidQueryError('membership', `Select one of ${MEMBERSHIPS.join(', ')}.`);
  }
  return membership;
}

function unitTypeFilter(type: UnitType | undefined): UnitType | undefined {
  if (type !== undefined && !UNIT_TYPES.includes(type)) {
    throw new InvalidQueryError('type', `Select one of ${UNIT_TYPES.join(', ')}.`);
  }
  return type;
}

function nonNegativeInteger(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new InvalidQueryError(field, 'Ensure this value is a whole number of at least 0.');
  }
  return value;
}

function positiveInteger(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidQueryError(field, 'Ensure this value is a whole number of at least 1.');
  }
  return value;
}
