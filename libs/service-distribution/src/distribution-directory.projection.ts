import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EventStore, type EventSubscription, type StoredEvent } from '@wharf/ports';
import type { DistributionView, ListDistributionsRequest, Page, VersionRef } from '@wharf/contracts';
import {
  evolveDistribution,
  isDistributionEvent,
  type Distribution,
  type DistributionSummary,
} from '@wharf/domain-distribution';
import { DISTRIBUTION_STREAM_PREFIX } from './distribution.streams.js';

const READ_BATCH = 1_000;

/**
 * Every live distribution, in memory, folded from the distribution event log (there are few, and each is
 * small); rebuilt at start by reading the log once. Writers wait for it to reach their append (`caughtUp`)
 * so a client reads its own writes, and bring it up to the log's head (`upToDate`) before deciding on the
 * uniqueness rules, so that they see what another replica of this service wrote.
 */
@Injectable()
export class DistributionDirectory implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly distributions = new Map<string, Distribution>();
  private position = 0;
  private waiters: { position: number; resolve: () => void }[] = [];
  private subscription?: EventSubscription;
  private failure?: unknown;

  constructor(private readonly store: EventStore) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = this.store.subscribe(
      0,
      async (event) => this.apply(event),
      (error) => {
        this.failure = error;
      },
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.close();
  }

  /** Resolves once every event up to `globalPosition` is folded in. */
  caughtUp(globalPosition: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.position >= globalPosition) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ position: globalPosition, resolve }));
  }

  /** Resolves once everything the log holds now is folded in. */
  async upToDate(): Promise<void> {
    let head = this.position;
    for (;;) {
      const batch = await this.store.readAll({ after: head, limit: READ_BATCH });
      if (batch.length === 0) break;
      head = batch[batch.length - 1]!.globalPosition;
    }
    await this.caughtUp(head);
  }

  get(id: string): DistributionView | undefined {
    const distribution = this.distributions.get(id);
    return distribution && toDistributionView(distribution);
  }

  findByBasePath(basePath: string): DistributionView | undefined {
    for (const distribution of this.distributions.values()) {
      if (distribution.basePath === basePath) return toDistributionView(distribution);
    }
    return undefined;
  }

  servingPublication(publicationId: string): DistributionView[] {
    return [...this.distributions.values()]
      .filter(({ target }) => target?.kind === 'publication' && target.publicationId === publicationId)
      .map(toDistributionView);
  }

  /** Name and base path of every live distribution, for the uniqueness rules. */
  summaries(): DistributionSummary[] {
    return [...this.distributions.values()].map(({ distributionId, name, basePath }) => ({
      distributionId,
      name,
      basePath,
    }));
  }

  /** In name order. */
  list(request: ListDistributionsRequest): Page<DistributionView> {
    const matching = [...this.distributions.values()]
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
    for (const { target } of this.distributions.values()) {
      if (target?.kind !== 'repository_version') continue;
      if (repositoryId !== undefined && target.repositoryId !== repositoryId) continue;
      served.push({ repositoryId: target.repositoryId, version: target.version });
    }
    return served;
  }

  private async apply(event: StoredEvent): Promise<void> {
    if (event.stream.startsWith(DISTRIBUTION_STREAM_PREFIX) && isDistributionEvent(event)) {
      const id = event.stream.slice(DISTRIBUTION_STREAM_PREFIX.length);
      const distribution = evolveDistribution(this.distributions.get(id), event);
      if (distribution && !distribution.deleted) this.distributions.set(id, distribution);
      else this.distributions.delete(id);
    }
    this.position = event.globalPosition;
    const ready = this.waiters.filter((w) => w.position <= this.position);
    if (ready.length) {
      this.waiters = this.waiters.filter((w) => w.position > this.position);
      ready.forEach((w) => w.resolve());
    }
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
