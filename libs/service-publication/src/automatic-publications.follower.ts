import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { BusConsumer, MessageBus, RemoteError } from '@wharf/ports';
import { Queries } from '@wharf/runtime';
import {
  DISTRIBUTION_EVENTS_SUBJECT,
  DISTRIBUTION_STREAM_PREFIX,
  REPOSITORY_STREAM_PREFIX,
  REPOSITORY_VERSION_CREATED_SUBJECT,
  type RepositoryVersionCreatedEventData,
} from '@wharf/contracts';
import type { EventEnvelope } from '@wharf/outbox';
import { PublicationsService } from './publications.service.js';

/** Durable: the bus remembers where each subscriber got to, so versions made while it was down arrive. */
const VERSIONS_SUBSCRIBER = 'publication-automatic-versions';
const DISTRIBUTIONS_SUBSCRIBER = 'publication-automatic-distributions';

/**
 * Automatic publications (Pulp's autopublish, for what distributions follow): when a repository that a
 * distribution follows gets a new version, that version is published, and the distribution serves it from
 * then on. A distribution that starts following a repository gets its latest version published at once.
 *
 * Events arrive at least once and maybe late: only a version that is still the repository's latest is
 * published (a backlog replayed after downtime publishes the newest, not every version in between), and
 * publishing a version twice makes one publication (its id derives from the version).
 */
@Injectable()
export class AutomaticPublicationsFollower implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('AutomaticPublications');
  private consumers: BusConsumer[] = [];

  constructor(
    private readonly bus: MessageBus,
    private readonly queries: Queries,
    private readonly publications: PublicationsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.consumers = await Promise.all([
      this.bus.subscribeEvents<EventEnvelope<RepositoryVersionCreatedEventData>>(
        VERSIONS_SUBSCRIBER,
        REPOSITORY_VERSION_CREATED_SUBJECT,
        ({ data: event }) => this.versionCreated(event.stream.slice(REPOSITORY_STREAM_PREFIX.length)),
      ),
      this.bus.subscribeEvents<EventEnvelope>(
        DISTRIBUTIONS_SUBSCRIBER,
        DISTRIBUTION_EVENTS_SUBJECT,
        ({ data }) => this.distributionChanged(data.stream.slice(DISTRIBUTION_STREAM_PREFIX.length)),
      ),
    ]);
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.close()));
  }

  private async versionCreated(repositoryId: string): Promise<void> {
    const { following } = await this.queries.ask('distribution.follows-repository', { repositoryId });
    if (following) await this.publishLatest(repositoryId);
  }

  private async distributionChanged(distributionId: string): Promise<void> {
    const distribution = await orUndefinedIfGone(() =>
      this.queries.ask('distribution.get', { id: distributionId }),
    );
    if (distribution?.repositoryId) await this.publishLatest(distribution.repositoryId);
  }

  private async publishLatest(repositoryId: string): Promise<void> {
    const repository = await orUndefinedIfGone(() =>
      this.queries.ask('content.repository.get', { id: repositoryId }),
    );
    if (!repository) return;
    await this.publications.publishAutomatically(repositoryId, repository.latestVersion, new Date());
    this.logger.log(`published version ${repository.latestVersion} of repository ${repositoryId}`);
  }
}

/** A repository or distribution deleted since its event was published has nothing left to publish. */
async function orUndefinedIfGone<T>(ask: () => Promise<T>): Promise<T | undefined> {
  try {
    return await ask();
  } catch (error) {
    if (error instanceof RemoteError && error.remoteName.endsWith('NotFoundError')) return undefined;
    throw error;
  }
}
