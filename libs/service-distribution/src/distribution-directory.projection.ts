import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EventStore, type StoredEvent } from '@wharf/ports';
import { FoldedDirectory } from '@wharf/runtime';
import type { DistributionView, ListDistributionsRequest, Page, VersionRef } from '@wharf/contracts';
import {
  evolveDistribution,
  isDistributionEvent,
  type Distribution,
  type DistributionSummary,
} from '@wharf/domain-distribution';
import { DISTRIBUTION_STREAM_PREFIX } from './distribution.streams.js';

/**
 * Every live distribution, in memory, folded from the distribution event log (there are few, and each is
 * small); rebuilt at start by reading the log once. Writers wait for it to reach their append (`caughtUp`)
 * so a client reads its own writes, and bring it up to the log's head (`upToDate`) before deciding on the
 * uniqueness rules, so that they see what another replica of this service wrote.
 */
@Injectable()
export class DistributionDirectory
  extends FoldedDirectory<Distribution>
  implements OnApplicationBootstrap, OnModuleDestroy
{
  constructor(store: EventStore) {
    super(store, DISTRIBUTION_STREAM_PREFIX);
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  protected fold(distribution: Distribution | undefined, event: StoredEvent): Distribution | undefined {
    return isDistributionEvent(event) ? evolveDistribution(distribution, event) : undefined;
  }

  /** Live distributions. */
  private live(): Distribution[] {
    return [...this.states.values()].filter((d) => !d.deleted);
  }

  /** Resolves once everything the log holds now is folded in (what another replica wrote included). */
  upToDate(): Promise<void> {
    return this.caughtUpNow();
  }

  get(id: string): DistributionView | undefined {
    const distribution = this.states.get(id);
    return distribution && !distribution.deleted ? toDistributionView(distribution) : undefined;
  }

  findByBasePath(basePath: string): DistributionView | undefined {
    for (const distribution of this.live()) {
      if (distribution.basePath === basePath) return toDistributionView(distribution);
    }
    return undefined;
  }

  servingPublication(publicationId: string): DistributionView[] {
    return this.live()
      .filter(({ target }) => target?.kind === 'publication' && target.publicationId === publicationId)
      .map(toDistributionView);
  }

  /** How many live distributions follow the repository's latest version. */
  followers(repositoryId: string): number {
    return this.live().filter(
      ({ target }) => target?.kind === 'repository' && target.repositoryId === repositoryId,
    ).length;
  }

  /** Name and base path of every live distribution, for the uniqueness rules. */
  summaries(): DistributionSummary[] {
    return this.live().map(({ distributionId, name, basePath }) => ({
      distributionId,
      name,
      basePath,
    }));
  }

  /** In name order. */
  list(request: ListDistributionsRequest): Page<DistributionView> {
    const matching = this.live()
      .filter((d) => request.name === undefined || d.name === request.name)
      .filter((d) => request.nameContains === undefined || d.name.includes(request.nameContains))
      .filter((d) => request.basePath === undefined || d.basePath === request.basePath)
      .filter((d) => request.basePathContains === undefined || d.basePath.includes(request.basePathContains))
      .sort((a, b) => a.name.localeCompare(b.name));
    return {
      count: matching.length,
      results: matching.slice(request.offset, request.offset + request.limit).map(toDistributionView),
    };
  }

  /** The repository versions live distributions serve directly, of one repository or of all. */
  servedVersions(repositoryId?: string): VersionRef[] {
    const served: VersionRef[] = [];
    for (const { target } of this.live()) {
      if (target?.kind !== 'repository_version') continue;
      if (repositoryId !== undefined && target.repositoryId !== repositoryId) continue;
      served.push({ repositoryId: target.repositoryId, version: target.version });
    }
    return served;
  }
}

export function toDistributionView(distribution: Distribution): DistributionView {
  const { target } = distribution;
  return {
    id: distribution.distributionId,
    name: distribution.name,
    basePath: distribution.basePath,
    repositoryId: target?.kind === 'repository' ? target.repositoryId : null,
    repositoryVersion:
      target?.kind === 'repository_version'
        ? { repositoryId: target.repositoryId, version: target.version }
        : null,
    publicationId: target?.kind === 'publication' ? target.publicationId : null,
    private: distribution.private,
    hidden: distribution.hidden,
    description: distribution.description,
    pulpLabels: distribution.pulpLabels,
    createdAt: distribution.createdAt,
    updatedAt: distribution.updatedAt,
  };
}
