import { Injectable } from '@nestjs/common';
import { RemoteError } from '@wharf/ports';
import { Queries } from '@wharf/runtime';
import { ValidationError, type DistributionView, type ResolvedDistribution } from '@wharf/contracts';
import type { DistributionTarget } from '@wharf/domain-distribution';

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

  /** A publication deleted since the distribution pointed at it serves nothing. */
  async resolve(distribution: DistributionView): Promise<ResolvedDistribution> {
    if (distribution.repositoryId) {
      return { distribution, repositoryId: distribution.repositoryId, version: 'latest' };
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
