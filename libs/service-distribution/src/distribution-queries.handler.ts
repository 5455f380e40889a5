import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { BusConsumer } from '@wharf/ports';
import { Queries } from '@wharf/runtime';
import { DistributionsService } from './distributions.service.js';

/** The distribution service's answers on the bus: decode nothing, delegate everything. */
@Injectable()
export class DistributionQueriesHandler implements OnApplicationBootstrap, OnModuleDestroy {
  private consumers: BusConsumer[] = [];

  constructor(
    private readonly queries: Queries,
    private readonly distributions: DistributionsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const q = this.queries;
    this.consumers = await Promise.all([
      q.answer('distribution.validate-create', (request) =>
        this.distributions.validateCreate(request, new Date()),
      ),
      q.answer('distribution.validate-update', (request) =>
        this.distributions.validateUpdate(request, new Date()),
      ),
      q.answer('distribution.get', async ({ id }) => this.distributions.get(id)),
      q.answer('distribution.list', async (request) => this.distributions.list(request)),
      q.answer('distribution.resolve', ({ basePath }) => this.distributions.resolve(basePath)),
      q.answer('distribution.version-references', async (request) =>
        this.distributions.versionReferences(request),
      ),
      q.answer('distribution.follows-repository', async ({ repositoryId }) =>
        this.distributions.followsRepository(repositoryId),
      ),
    ]);
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.close()));
  }
}
