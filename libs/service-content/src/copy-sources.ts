import { Injectable } from '@nestjs/common';
import { manifestKey, parseUnitKey, type CopySource, type UnitKey, type UnitType } from '@wharf/contracts';
import { ContentIndex } from '@wharf/ports';
import {
  SourceManifestsNotFoundError,
  SourceRepositoryNotFoundError,
  SourceTagsNotFoundError,
  SourceVersionNotFoundError,
} from './content.errors.js';
import { inBatches, presentAmongInBatches } from './index-batches.js';
import { RepositoryStreams } from './repository.streams.js';
import { VersionIndexProjection } from './version-index.projection.js';
import type { VersionAddress } from './version-view.loader.js';

const PAGE = 5_000;

/**
 * Where copy_tags and copy_manifests take content from: a version of another (or the same) repository,
 * read without that repository's write lock, since a version never changes once recorded.
 */
@Injectable()
export class CopySources {
  constructor(
    private readonly streams: RepositoryStreams,
    private readonly projection: VersionIndexProjection,
    private readonly index: ContentIndex,
  ) {}

  async resolve(source: CopySource | undefined): Promise<VersionAddress> {
    const repositoryId = String(source?.repositoryId);
    const loaded = await this.streams.load(repositoryId);
    const { state } = loaded;
    if (!state.exists || state.deleted) throw new SourceRepositoryNotFoundError(repositoryId);
    const version = source?.version ?? state.latestVersion;
    if (!state.versions.some((live) => live.number === version)) {
      throw new SourceVersionNotFoundError(repositoryId, version);
    }
    await this.projection.current(repositoryId, loaded);
    return { repositoryId, version };
  }

  /** The source's tags of these names (every name must be there), or all its tags. */
  async tags(source: VersionAddress, names: readonly string[] | undefined): Promise<UnitKey[]> {
    if (names === undefined) return this.allOfType(source, 'tag');
    const tags = await this.index.presentTagsNamed(source.repositoryId, source.version, names);
    const found = new Set(tags.map((tag) => parseUnitKey(tag).name));
    const missing = names.filter((name) => !found.has(name));
    if (missing.length > 0) throw new SourceTagsNotFoundError(source.repositoryId, source.version, missing);
    return tags;
  }

  /** The source's manifests with these digests (every one must be there) and media types, or all of them. */
  async manifests(
    source: VersionAddress,
    digests: readonly string[] | undefined,
    mediaTypes: readonly string[] | undefined,
  ): Promise<UnitKey[]> {
    if (digests === undefined) {
      return mediaTypes === undefined
        ? this.allOfType(source, 'manifest')
        : this.manifestsOfMediaTypes(source, mediaTypes);
    }
    const keys = digests.map(manifestKey);
    const present = new Set(
      await presentAmongInBatches(this.index, source.repositoryId, source.version, keys),
    );
    const missing = digests.filter((digest) => !present.has(manifestKey(digest)));
    if (missing.length > 0) {
      throw new SourceManifestsNotFoundError(source.repositoryId, source.version, missing);
    }
    if (mediaTypes === undefined) return keys;
    const matching: UnitKey[] = [];
    for (const batch of inBatches(keys)) {
      for (const unit of await this.index.getUnits(batch)) {
        if (mediaTypes.includes(unit.manifest?.mediaType ?? '')) matching.push(unit.key);
      }
    }
    return matching;
  }

  private async manifestsOfMediaTypes(
    source: VersionAddress,
    mediaTypes: readonly string[],
  ): Promise<UnitKey[]> {
    const keys: UnitKey[] = [];
    const inVersion = { repository: source.repositoryId, version: source.version };
    for (const mediaType of new Set(mediaTypes)) {
      let afterKey: UnitKey | undefined;
      do {
        const page = await this.index.listUnits(
          { type: 'manifest', mediaType, inVersion },
          { limit: PAGE, afterKey },
        );
        keys.push(...page.items.map((unit) => unit.key));
        afterKey = page.nextAfterKey;
      } while (afterKey !== undefined);
    }
    return keys;
  }

  private async allOfType(source: VersionAddress, type: UnitType): Promise<UnitKey[]> {
    const keys: UnitKey[] = [];
    let afterKey: UnitKey | undefined;
    do {
      const page = await this.index.listVersionUnits(source.repositoryId, source.version, {
        membership: 'present',
        type,
        limit: PAGE,
        afterKey,
      });
      keys.push(...page.items);
      afterKey = page.nextAfterKey;
    } while (afterKey !== undefined);
    return keys;
  }
}
