import { createHash } from 'node:crypto';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { BusConsumer, EventStore, MessageBus, type StoredEvent } from '@wharf/ports';
import { EVENTS_ALL } from '@wharf/contracts';
import { Infrastructure, Queries } from '@wharf/runtime';
import { OutboxRelay, type EventEnvelope } from '@wharf/outbox';
import { AuditLog, auditRecordOf } from './audit-log.js';
import { cloudEventSubject, toCloudEvent } from './cloud-event.js';
import { WebhookSink } from './webhook.sink.js';

/** Webhook retries: from one second, doubling, to at most a minute between attempts. */
const WEBHOOK_RETRY_DELAY_MS = 1_000;
const WEBHOOK_MAX_RETRY_DELAY_MS = 60_000;

/**
 * Durable subscriber to every event on the bus; answers queries over what it recorded; and hands every record
 * on to external subscribers as CloudEvents — on the bus (`cloudevents.<type>`) and to each configured
 * webhook. Those deliveries are relays over the audit store, each with its own checkpoint kept beside the
 * records: a subscriber that was away gets everything it missed, in order, from where it left off.
 */
@Injectable()
export class AuditService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('audit');
  private readonly log: AuditLog;
  private consumers: BusConsumer[] = [];
  private relays: OutboxRelay[] = [];
  /** The event being recorded, if any: shutdown waits for it rather than leave it to its ack wait. */
  private recording: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: EventStore,
    private readonly bus: MessageBus,
    private readonly queries: Queries,
    private readonly infrastructure: Infrastructure,
  ) {
    this.log = new AuditLog(store);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.consumers = [
      await this.bus.subscribeEvents<EventEnvelope>('audit', EVENTS_ALL, async (message) => {
        const recording = this.log.record(message.data, new Date());
        this.recording = recording.catch(() => undefined);
        if (await recording) this.logger.debug?.(`recorded ${message.data.type} ${message.data.id}`);
      }),
      await this.queries.answer('audit.record.list', (request) => this.log.list(request)),
    ];
    this.relays = [
      this.cloudEventRelay('cloudevents', this.bus),
      ...this.infrastructure.settings.auditWebhooks.map(({ url, secret }) => {
        const sink = new WebhookSink(url, secret);
        // One checkpoint per URL: a webhook added later starts from the first record, one removed keeps its place.
        const reader = `webhook-${createHash('sha256').update(url).digest('hex').slice(0, 16)}`;
        return this.cloudEventRelay(reader, sink, WEBHOOK_RETRY_DELAY_MS, WEBHOOK_MAX_RETRY_DELAY_MS);
      }),
    ];
    await Promise.all(this.relays.map((relay) => relay.start()));
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.relays.map((relay) => relay.stop()));
    await Promise.all(this.consumers.map((c) => c.close()));
    // The bus stops handing out events but lets a handler that runs finish; its store must still be open.
    await this.recording;
  }

  private cloudEventRelay(
    reader: string,
    publisher: Pick<MessageBus, 'publishEvent'>,
    retryDelayMs?: number,
    maxRetryDelayMs?: number,
  ): OutboxRelay {
    const recordOf = (event: StoredEvent) => {
      const record = auditRecordOf(event);
      if (!record) throw new Error(`audit store holds ${event.type} ${event.id}, which is no audit record`);
      return record;
    };
    return new OutboxRelay(this.store, publisher, {
      reader,
      subjectFor: (event) => cloudEventSubject(recordOf(event).type),
      // Not the event's own id as message id: the original event sits in the same JetStream stream, whose
      // duplicate window would drop the CloudEvent. Subscribers dedupe by the CloudEvent's `id`, the event's.
      messageFor: (event) => ({ id: `cloudevent-${event.id}`, data: toCloudEvent(recordOf(event)) }),
      onError: (error) => this.logger.warn(describe(error)),
      ...(retryDelayMs ? { retryDelayMs } : {}),
      ...(maxRetryDelayMs ? { maxRetryDelayMs } : {}),
    });
  }
}

/** An error with the cause the relay wrapped (why the webhook or bus refused). */
function describe(error: unknown): string {
  const { message, cause } = error as Error;
  return cause instanceof Error ? `${message}: ${cause.message}` : message;
}
