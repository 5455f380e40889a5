import { Injectable } from '@nestjs/common';
import { RemoteError } from '@wharf/ports';
import { Queries } from '@wharf/runtime';
import { ValidationError, type DistributionView, type ResolvedDistribution } from '@wharf/contracts';
import type { DistributionTarget } from '@wharf/domain-distribution';

/**
 * How long manifests and blobs of the version a following distribution served before stay reachable by
 * digest: a client that read a manifest list or a manifest just before the move fetches what it lists from
 * the version it read, so a pull sees the old version or the new one, never a mix. Long enough for a slow
 * pull of large layers to begin every blob.
 */
export const PREVIOUS_VERSION_GRACE_MS = 15 * 60_000;

/** Pulp's words for a reference to something that is not there. */
export const OBJECT_DOES_NOT_EXIST = 'Invalid hyperlink - Object does not exist.';

/**
 * What a distribution serves lives in other services: repositories and versions in content, publications in
 * publication. This asks them, to refuse a target that does not exist (under the field that named it) and to
 * resolve a base path to the version a client pulls.
 */
@Injectable()
export class DistributionTargets {
  constructor(private readonly queries: Queries) {}

  async assertExists(target: DistributionTarget | null): Promise<void> {
    switch (target?.kind) {
      case undefined:
        return;
      case 'repository':
        return this.exists('repository', () =>
          this.queries.ask('content.repository.get', { id: target.repositoryId }),
        );
      case 'repository_version':
        return this.exists('repository_version', () =>
          this.queries.ask('content.version.get', {
            repositoryId: target.repositoryId,
            version: target.version,
          }),
        );
      case 'publication':
        return this.exists('publication', () =>
          this.queries.ask('publication.get', { id: target.publicationId }),
        );
    }
  }

  /**
   * A distribution following a repository serves its latest version — which its automatic publication
   * snapshots a moment later — so a client reads what it just pushed or synced. The version served before
   * stays reachable by digest: the previous publication for PREVIOUS_VERSION_GRACE_MS after the latest was
   * made, or the latest publication while the newest version's is still being made. A publication deleted since
   * a distribution pointed at it serves nothing.
   */
  async resolve(distribution: DistributionView, now = new Date()): Promise<ResolvedDistribution> {
    if (distribution.repositoryId) {
      const repositoryId = distribution.repositoryId;
      const [repository, { publication, previous }] = await Promise.all([
        this.queries.ask('content.repository.get', { id: repositoryId }).catch((error: unknown) => {
          if (isNotFound(error)) return undefined;
          throw error;
        }),
        this.queries.ask('publication.latest', { repositoryId }),
      ]);
      // Deleted since the distribution began following it: nothing is served.
      if (!repository) return { distribution, repositoryId: null, version: null };
      const version = repository.latestVersion;
      const previousVersion =
        publication && publication.repositoryVersion < version
          ? publication.repositoryVersion
          : previous && now.getTime() - Date.parse(publication!.createdAt) < PREVIOUS_VERSION_GRACE_MS
            ? previous.repositoryVersion
            : undefined;
      return {
        distribution,
        repositoryId,
        version,
        ...(previousVersion !== undefined && { previousVersion }),
      };
    }
    if (distribution.repositoryVersion) {
      const { repositoryId, version } = distribution.repositoryVersion;
      return { distribution, repositoryId, version };
    }
    if (distribution.publicationId) {
      try {
        const publication = await this.queries.ask('publication.get', { id: distribution.publicationId });
        return {
          distribution,
          repositoryId: publication.repositoryId,
          version: publication.repositoryVersion,
        };
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    return { distribution, repositoryId: null, version: null };
  }

  private async exists(field: string, lookup: () => Promise<unknown>): Promise<void> {
    try {
      await lookup();
    } catch (error) {
      if (isNotFound(error)) throw new ValidationError({ [field]: [OBJECT_DOES_NOT_EXIST] });
      throw error;
    }
  }
}

function isNotFound(error: unknown): boolean {
  return error instanceof RemoteError && error.remoteName === 'NotFoundError';
}
