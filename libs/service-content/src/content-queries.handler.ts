import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { BusConsumer } from '@wharf/ports';
import { Queries } from '@wharf/runtime';
import { RepositoriesService } from './repositories.service.js';
import { RepositoryDirectory } from './repository-directory.projection.js';

/** The content service's answers on the bus: decode nothing, delegate everything. */
@Injectable()
export class ContentQueriesHandler implements OnApplicationBootstrap, OnModuleDestroy {
  private consumers: BusConsumer[] = [];

  constructor(
    private readonly queries: Queries,
    private readonly repositories: RepositoriesService,
    private readonly directory: RepositoryDirectory,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.consumers = await Promise.all([
      this.queries.answer('content.repository.create', (request) =>
        this.repositories.create(request, new Date()),
      ),
      this.queries.answer('content.repository.get', async ({ id }) => this.repositories.get(id)),
      this.queries.answer('content.repository.list', async (request) => this.directory.list(request)),
    ]);
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.close()));
  }
}
