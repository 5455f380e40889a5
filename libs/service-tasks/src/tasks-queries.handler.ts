import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { BusConsumer } from '@wharf/ports';
import { Queries } from '@wharf/runtime';
import { TaskBoard } from './task-board.projection.js';
import { TasksService } from './tasks.service.js';

/** The registry's answers on the bus. */
@Injectable()
export class TasksQueriesHandler implements OnApplicationBootstrap, OnModuleDestroy {
  private consumers: BusConsumer[] = [];

  constructor(
    private readonly queries: Queries,
    private readonly tasks: TasksService,
    private readonly board: TaskBoard,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.consumers = await Promise.all([
      this.queries.answer('tasks.dispatch', (request) => this.tasks.dispatch(request, new Date())),
      this.queries.answer('tasks.get', async ({ id }) => this.tasks.view(id)),
      this.queries.answer('tasks.list', async (request) => this.board.list(request)),
      this.queries.answer('tasks.cancel', ({ id }) => this.tasks.cancel(id, new Date())),
      this.queries.answer('tasks.report', (report) => this.tasks.report(report, new Date())),
    ]);
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.close()));
  }
}
