import { Injectable } from '@nestjs/common';
import {
  tagKey,
  type AddUnitsRequest,
  type CopyManifestsRequest,
  type CopyTagsRequest,
  type ModifyVersionRequest,
  type RemoveUnitsRequest,
  type RollbackRequest,
  type TagRequest,
  type UnitKey,
  type UntagRequest,
  type VersionRef,
  type VersionWriteResult,
} from '@wharf/contracts';
import {
  InvalidManifestDigestError,
  VersionNotFoundError,
  planAdd,
  planModify,
  planTag,
  planUntag,
  type RepositoryState,
  type VersionChange,
} from '@wharf/domain-content';
import { isDigest } from '@wharf/oci';
import { BaseVersionNotFoundError, InvalidQueryError } from './content.errors.js';
import { ContentCatalogService } from './content-catalog.service.js';
import { CopySources } from './copy-sources.js';
import { LatestChangeResolver } from './latest-change.resolver.js';
import { checkTagName, checkUnitKeys } from './unit-key.checks.js';
import { VersionViewLoader } from './version-view.loader.js';
import { VersionWriter, type PlannedVersion } from './version.writer.js';

/**
 * The repository-version operations. Each checks its input, then plans with the domain's rules against a
 * prefetched view of one version, and leaves recording (one new version or none) to the VersionWriter. Bad
 * input is refused before anything is appended, so it never leaves a version behind.
 */
@Injectable()
export class VersionsService {
  constructor(
    private readonly writer: VersionWriter,
    private readonly catalog: ContentCatalogService,
    private readonly views: VersionViewLoader,
    private readonly resolver: LatestChangeResolver,
    private readonly sources: CopySources,
  ) {}

  /** Pulp's modify: remove (recursively, or '*' for everything), then add (recursively), on a base version. */
  modify(request: ModifyVersionRequest, at: Date): Promise<VersionWriteResult> {
    const add = checkUnitKeys(request.add, 'add_content_units');
    const remove = request.remove === '*' ? '*' : checkUnitKeys(request.remove, 'remove_content_units');
    const leftOut = request.leftOut === undefined ? [] : checkUnitKeys(request.leftOut, 'left_out');
    return this.writer.write(request.repositoryId, at, async ({ repositoryId, state, latest }) => {
      const base = baseVersionOf(state, request.baseVersion);
      await this.catalog.recordTags(add, at);
      const change =
        remove === '*'
          ? await this.replacingEverything(repositoryId, latest, add, leftOut)
          : await this.changing(repositoryId, base ?? latest, latest, add, remove, leftOut);
      return { change, baseVersion: base ?? null };
    });
  }

  add(request: AddUnitsRequest, at: Date): Promise<VersionWriteResult> {
    return this.modify(
      { repositoryId: request.repositoryId, add: request.units, baseVersion: request.baseVersion },
      at,
    );
  }

  remove(request: RemoveUnitsRequest, at: Date): Promise<VersionWriteResult> {
    return this.modify(
      { repositoryId: request.repositoryId, remove: request.units, baseVersion: request.baseVersion },
      at,
    );
  }

  /** Copies tags (all, or these names) with their manifests and blobs from a source version. */
  copyTags(request: CopyTagsRequest, at: Date): Promise<VersionWriteResult> {
    const names = request.names === undefined ? undefined : listOf(request.names, 'names').map(checkTagName);
    return this.writer.write(request.repositoryId, at, async ({ repositoryId, latest }) => {
      const source = await this.sources.resolve(request.source);
      const tags = await this.sources.tags(source, names);
      return this.adding(repositoryId, latest, tags);
    });
  }

  /** Copies manifests (by digest and/or media type, or all) with what they reference, without tags. */
  copyManifests(request: CopyManifestsRequest, at: Date): Promise<VersionWriteResult> {
    const digests =
      request.digests === undefined ? undefined : listOf(request.digests, 'digests').map(checkDigest);
    const mediaTypes =
      request.mediaTypes === undefined ? undefined : listOf(request.mediaTypes, 'media_types');
    return this.writer.write(request.repositoryId, at, async ({ repositoryId, latest }) => {
      const source = await this.sources.resolve(request.source);
      const manifests = await this.sources.manifests(source, digests, mediaTypes?.map(String));
      return this.adding(repositoryId, latest, manifests);
    });
  }

  /** Tags a manifest of the latest version; a tag of that name on another manifest is replaced. */
  tag(request: TagRequest, at: Date): Promise<VersionWriteResult> {
    const name = checkTagName(request.tag);
    const digest = checkDigest(request.digest);
    return this.writer.write(request.repositoryId, at, async ({ repositoryId, latest }) => {
      await this.catalog.requireManifest(digest, 'digest');
      const tag = tagKey(name, digest);
      await this.catalog.recordTags([tag], at);
      const view = await this.views.load({ repositoryId, version: latest }, { add: [tag] });
      return { change: planTag(name, digest, view), baseVersion: null };
    });
  }

  untag(request: UntagRequest, at: Date): Promise<VersionWriteResult> {
    const name = checkTagName(request.tag);
    return this.writer.write(request.repositoryId, at, async ({ repositoryId, latest }) => {
      const view = await this.views.load({ repositoryId, version: latest }, { tagNames: [name] });
      return { change: planUntag(name, view), baseVersion: null };
    });
  }

  /** A new version holding exactly what an older one holds; the older one is recorded as its base. */
  rollback(request: RollbackRequest, at: Date): Promise<VersionWriteResult> {
    return this.writer.write(request.repositoryId, at, async ({ repositoryId, state, latest }) => {
      if (!isLive(state, request.version)) throw new VersionNotFoundError(repositoryId, request.version);
      return {
        change: await this.resolver.toVersion(repositoryId, request.version, latest),
        baseVersion: request.version,
      };
    });
  }

  deleteVersion(request: VersionRef, at: Date): Promise<VersionRef> {
    return this.writer.deleteVersion(request.repositoryId, request.version, at);
  }

  private async changing(
    repositoryId: string,
    base: number,
    latest: number,
    add: readonly UnitKey[],
    remove: readonly UnitKey[],
    leftOut: readonly UnitKey[],
  ): Promise<VersionChange> {
    const view = await this.views.load({ repositoryId, version: base }, { add, remove, leftOut });
    return this.resolver.fromBase(repositoryId, base, latest, planModify({ add, remove }, view));
  }

  /** Remove everything, then add: the new version holds the added units and what they reference. */
  private async replacingEverything(
    repositoryId: string,
    latest: number,
    add: readonly UnitKey[],
    leftOut: readonly UnitKey[],
  ): Promise<VersionChange> {
    const content = planAdd(add, await this.views.load(undefined, { add, leftOut })).added;
    return this.resolver.toContent(repositoryId, latest, new Set(content));
  }

  private async adding(
    repositoryId: string,
    latest: number,
    keys: readonly UnitKey[],
  ): Promise<PlannedVersion> {
    const view = await this.views.load({ repositoryId, version: latest }, { add: keys });
    return { change: planAdd(keys, view), baseVersion: null };
  }
}

function isLive(state: RepositoryState, version: number): boolean {
  return state.versions.some((live) => live.number === version);
}

function baseVersionOf(state: RepositoryState, requested: number | null | undefined): number | undefined {
  if (requested === undefined || requested === null) return undefined;
  if (!isLive(state, requested)) throw new BaseVersionNotFoundError(state.repositoryId, requested);
  return requested;
}

function checkDigest(digest: unknown): string {
  if (!isDigest(digest)) throw new InvalidManifestDigestError(String(digest));
  return digest;
}

function listOf(value: unknown, field: string): readonly unknown[] {
  if (!Array.isArray(value)) throw new InvalidQueryError(field, 'Expected a list.');
  return value;
}
