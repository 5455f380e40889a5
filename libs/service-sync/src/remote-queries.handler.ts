import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { BusConsumer } from '@wharf/ports';
import { Queries } from '@wharf/runtime';
import { RemotesService } from './remotes.service.js';

/** The sync service's answers about remotes on the bus: decode nothing, delegate everything. */
@Injectable()
export class RemoteQueriesHandler implements OnApplicationBootstrap, OnModuleDestroy {
  private consumers: BusConsumer[] = [];

  constructor(
    private readonly queries: Queries,
    private readonly remotes: RemotesService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.consumers = await Promise.all([
      this.queries.answer('remote.create', (input) => this.remotes.create(input, new Date())),
      this.queries.answer('remote.get', async ({ id }) => this.remotes.get(id)),
      this.queries.answer('remote.list', async (request) => this.remotes.list(request)),
      this.queries.answer('remote.update.prepare', (request) =>
        this.remotes.prepareUpdate(request, new Date()),
      ),
      this.queries.answer('remote.credentials', ({ id }) => this.remotes.credentials(id)),
    ]);
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.close()));
  }
}
