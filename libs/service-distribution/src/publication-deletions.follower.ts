import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { BusConsumer, MessageBus } from '@wharf/ports';
import { PUBLICATION_DELETED_SUBJECT, type PublicationDeletedEventData } from '@wharf/contracts';
import type { EventEnvelope } from '@wharf/outbox';
import { DistributionsService } from './distributions.service.js';

/** Durable: the bus remembers where this subscriber got to, so deletions made while it was down arrive. */
const SUBSCRIBER = 'distribution-publication-deletions';

/**
 * As in Pulp, a distribution stops serving a publication that is deleted (its `publication` becomes null)
 * rather than pointing at nothing. Events arrive at least once; clearing what is already clear does nothing.
 */
@Injectable()
export class PublicationDeletionsFollower implements OnApplicationBootstrap, OnModuleDestroy {
  private consumer?: BusConsumer;

  constructor(
    private readonly bus: MessageBus,
    private readonly distributions: DistributionsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.consumer = await this.bus.subscribeEvents<EventEnvelope<PublicationDeletedEventData>>(
      SUBSCRIBER,
      PUBLICATION_DELETED_SUBJECT,
      (message) => this.distributions.stopServingPublication(message.data.data.publicationId, new Date()),
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.consumer?.close();
  }
}
