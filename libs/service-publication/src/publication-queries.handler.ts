import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { BusConsumer } from '@wharf/ports';
import { Queries } from '@wharf/runtime';
import { PublicationsService } from './publications.service.js';

/** The publication service's answers on the bus: decode nothing, delegate everything. */
@Injectable()
export class PublicationQueriesHandler implements OnApplicationBootstrap, OnModuleDestroy {
  private consumers: BusConsumer[] = [];

  constructor(
    private readonly queries: Queries,
    private readonly publications: PublicationsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.consumers = await Promise.all([
      this.queries.answer('publication.validate-create', (request) =>
        this.publications.validateCreate(request, new Date()),
      ),
      this.queries.answer('publication.get', async ({ id }) => this.publications.get(id)),
      this.queries.answer('publication.list', async (request) => this.publications.list(request)),
      this.queries.answer('publication.latest', async ({ repositoryId }) =>
        this.publications.latest(repositoryId),
      ),
      this.queries.answer('publication.protected-versions', (request) =>
        this.publications.protectedVersions(request),
      ),
    ]);
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.close()));
  }
}
