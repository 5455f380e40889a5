import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { BusConsumer, EventStore, MessageBus } from '@wharf/ports';
import { EVENTS_ALL } from '@wharf/contracts';
import { Queries } from '@wharf/runtime';
import type { EventEnvelope } from '@wharf/outbox';
import { AuditLog } from './audit-log.js';

/** Durable subscriber to every event on the bus; answers queries over what it recorded. */
@Injectable()
export class AuditService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('audit');
  private readonly log: AuditLog;
  private consumers: BusConsumer[] = [];

  constructor(
    store: EventStore,
    private readonly bus: MessageBus,
    private readonly queries: Queries,
  ) {
    this.log = new AuditLog(store);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.consumers = [
      await this.bus.subscribeEvents<EventEnvelope>('audit', EVENTS_ALL, async (message) => {
        const recorded = await this.log.record(message.data, new Date());
        if (recorded) this.logger.debug?.(`recorded ${message.data.type} ${message.data.id}`);
      }),
      await this.queries.answer('audit.record.list', (request) => this.log.list(request)),
    ];
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.close()));
  }
}
