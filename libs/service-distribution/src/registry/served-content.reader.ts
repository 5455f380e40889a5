import { Injectable } from '@nestjs/common';
import { RemoteError } from '@wharf/ports';
import { Queries } from '@wharf/runtime';
import {
  MAX_KEYSET_PAGE_LIMIT,
  NotFoundError,
  parseUnitKey,
  type CatalogUnit,
  type KeysetPage,
  type ResolvedDistribution,
  type UnitType,
  type VersionRef,
} from '@wharf/contracts';
import { MediaType } from '@wharf/oci';
import { DistributionDirectory } from '../distribution-directory.projection.js';
import { DistributionsService } from '../distributions.service.js';
import { manifestUnknown, nameUnknown, RegistryError } from './registry.errors.js';
import { previousServedVersion } from './previous-version.policy.js';
import { VersionTagNamesCache } from './version-tag-names.cache.js';
import { VersionUnitsCache } from './version-units.cache.js';

/** The repository version a registry name serves, fixed once per request. */
export interface ServedVersion extends VersionRef {
  readonly name: string;
  /** Set when the name follows its repository's latest version, which moves (see `byDigest`). */
  readonly following?: true;
}

/** A manifest of the served version. */
export interface ServedManifest {
  readonly unit: CatalogUnit;
  readonly mediaType: string;
}

/** One referrer: an OCI descriptor as the referrers API lists it. */
export interface ReferrerDescriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface NamePage<T> {
  readonly items: readonly T[];
  /** Present when more items follow: the `last` of the next page's request. */
  readonly last?: string;
}

/** Units read per catalog query when a whole version is scanned. */
const SCAN_PAGE = 1_000;

/**
 * What a registry name serves, read from the distribution directory (this service's own) and from the
 * content service over the bus. Every lookup is confined to one repository version, so a digest that exists
 * in the catalog but not in the version a name serves is as unknown as one that exists nowhere.
 */
@Injectable()
export class ServedContent {
  private readonly tagNames = new VersionTagNamesCache();
  private readonly found = new VersionUnitsCache();

  constructor(
    private readonly queries: Queries,
    private readonly distributions: DistributionsService,
    private readonly directory: DistributionDirectory,
  ) {}

  /** The distribution at base path `name`, with what it serves. */
  async distribution(name: string): Promise<ResolvedDistribution> {
    try {
      return await this.distributions.resolve(name);
    } catch (error) {
      if (error instanceof NotFoundError) throw nameUnknown(name);
      throw error;
    }
  }

  /** The version a distribution serves now: its repository's latest is looked up at each call. */
  async version(name: string, resolved: ResolvedDistribution): Promise<ServedVersion> {
    const { repositoryId, version } = resolved;
    if (repositoryId === null || version === null) throw nameUnknown(name, 'distribution serves no content');
    if (version !== 'latest') return { name, repositoryId, version };
    const repository = await this.orUnknownName(name, () =>
      this.queries.ask('content.repository.get', { id: repositoryId }),
    );
    return { name, repositoryId, version: repository.latestVersion, following: true };
  }

  async manifestByDigest(served: ServedVersion, digest: string): Promise<ServedManifest> {
    const unit = await this.byDigest(served, 'manifest', digest);
    if (!unit?.manifest) throw manifestUnknown(served.name, digest);
    return { unit, mediaType: unit.manifest.mediaType };
  }

  async manifestByTag(served: ServedVersion, tag: string): Promise<ServedManifest> {
    const tagged = await this.found.find(`${served.repositoryId}/${served.version}/tag/${tag}`, async () => {
      return (await this.units(served, { type: 'tag', name: tag, limit: 1 })).items[0];
    });
    if (!tagged) throw manifestUnknown(served.name, tag);
    const unit = await this.presentUnit(served, 'manifest', tagged.digest);
    if (!unit?.manifest) throw manifestUnknown(served.name, tag);
    return { unit, mediaType: unit.manifest.mediaType };
  }

  /** The blob unit, or undefined when neither the served version nor, in its grace, the one before holds it. */
  blob(served: ServedVersion, digest: string): Promise<CatalogUnit | undefined> {
    return this.byDigest(served, 'blob', digest);
  }

  /**
   * Tag names in strict lexical order, a page after `last`. The version's names are read whole (keys only,
   * a scan page at a time) the first time it is listed and kept, sorted, for its later pages.
   */
  tags(served: ServedVersion, limit: number, last?: string): Promise<NamePage<string>> {
    return this.tagNames.page(
      `${served.repositoryId}/${served.version}`,
      () => this.allTagNames(served),
      limit,
      last,
    );
  }

  private async allTagNames(served: ServedVersion): Promise<string[]> {
    const names: string[] = [];
    let afterKey: string | undefined;
    do {
      const page = await this.orUnknownName(served.name, () =>
        this.queries.ask('content.version.units', {
          repositoryId: served.repositoryId,
          version: served.version,
          membership: 'present',
          type: 'tag',
          limit: MAX_KEYSET_PAGE_LIMIT,
          ...(afterKey !== undefined && { afterKey }),
        }),
      );
      for (const key of page.items) names.push(parseUnitKey(key).name!);
      afterKey = page.nextAfterKey;
    } while (afterKey !== undefined);
    return names;
  }

  /**
   * Manifests of the served version whose subject is `digest`. The catalog has no subject filter, so the
   * version's manifests are scanned a page at a time: memory holds one page and the matches.
   */
  async referrers(
    served: ServedVersion,
    digest: string,
    artifactType?: string,
  ): Promise<ReferrerDescriptor[]> {
    const found: ReferrerDescriptor[] = [];
    let afterKey: string | undefined;
    do {
      const page = await this.units(served, {
        type: 'manifest',
        limit: SCAN_PAGE,
        ...(afterKey !== undefined && { afterKey }),
      });
      for (const unit of page.items) {
        if (unit.manifest?.subjectDigest !== digest) continue;
        const descriptor = referrerDescriptor(unit);
        if (artifactType === undefined || descriptor.artifactType === artifactType) found.push(descriptor);
      }
      afterKey = page.nextAfterKey;
    } while (afterKey !== undefined);
    return found;
  }

  /** Base paths of the distributions a catalog lists (neither private nor hidden), in lexical order. */
  catalog(limit: number, last?: string): NamePage<string> {
    const basePaths = this.directory
      .list({ offset: 0, limit: Number.MAX_SAFE_INTEGER })
      .results.filter((d) => !d.private && !d.hidden)
      .map((d) => d.basePath)
      .sort()
      .filter((basePath) => last === undefined || basePath > last);
    const items = basePaths.slice(0, limit);
    return basePaths.length > limit ? { items, last: items.at(-1) } : { items };
  }

  /**
   * A unit of the served version, or else — for a name following its repository, which may just have moved
   * on — of the version it served before (see previousServedVersion): by digest only, as a pull that began
   * there asks for what it read; tags always resolve in the served version. Asked only on a miss, so a hit
   * costs one query as before.
   */
  private async byDigest(
    served: ServedVersion,
    type: UnitType,
    digest: string,
  ): Promise<CatalogUnit | undefined> {
    const unit = await this.presentUnit(served, type, digest);
    if (unit || !served.following) return unit;
    const latest = await this.queries.ask('publication.latest', { repositoryId: served.repositoryId });
    const previous = previousServedVersion(served.version, latest, new Date());
    if (previous === undefined) return undefined;
    try {
      return await this.presentUnit({ ...served, version: previous }, type, digest);
    } catch (error) {
      // Retention may have deleted the previous version: then only the served one counts.
      if (error instanceof RegistryError && error.code === 'NAME_UNKNOWN') return undefined;
      throw error;
    }
  }

  private async presentUnit(
    served: ServedVersion,
    type: UnitType,
    digest: string,
  ): Promise<CatalogUnit | undefined> {
    return this.found.find(`${served.repositoryId}/${served.version}/${type}/${digest}`, async () => {
      return (await this.units(served, { type, digest, limit: 1 })).items[0];
    });
  }

  private units(
    served: ServedVersion,
    filter: { type: UnitType; digest?: string; name?: string; limit: number; afterKey?: string },
  ): Promise<KeysetPage<CatalogUnit>> {
    return this.orUnknownName(served.name, () =>
      this.queries.ask('content.unit.list', {
        ...filter,
        repositoryVersion: {
          repositoryId: served.repositoryId,
          version: served.version,
          membership: 'present',
        },
      }),
    );
  }

  /** A repository or version deleted since the distribution pointed at it leaves the name serving nothing. */
  private async orUnknownName<T>(name: string, ask: () => Promise<T>): Promise<T> {
    try {
      return await ask();
    } catch (error) {
      if (error instanceof RemoteError && error.remoteName.endsWith('NotFoundError')) {
        throw nameUnknown(name, 'content of distribution no longer exists');
      }
      throw error;
    }
  }
}

/**
 * An image manifest without `artifactType` is listed under its config's media type, as the referrers API
 * asks; the catalog keeps no config media type for images, but an image's config is the image config of its
 * manifest's family.
 */
function referrerDescriptor(unit: CatalogUnit): ReferrerDescriptor {
  const facts = unit.manifest!;
  const artifactType =
    facts.artifactType ??
    (facts.kind === 'image'
      ? facts.mediaType === MediaType.OciManifest
        ? MediaType.OciImageConfig
        : MediaType.DockerImageConfig
      : undefined);
  return {
    mediaType: facts.mediaType,
    digest: unit.digest,
    size: unit.size ?? facts.size,
    ...(artifactType !== undefined && { artifactType }),
    ...(Object.keys(facts.annotations).length > 0 && { annotations: facts.annotations }),
  };
}
