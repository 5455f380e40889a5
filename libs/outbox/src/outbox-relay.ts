import { setTimeout as sleep } from 'node:timers/promises';
import type { EventStore, EventSubscription, MessageBus, OutgoingMessage, StoredEvent } from '@wharf/ports';
import { CheckpointWriter } from './checkpoint-writer.js';
import { toEventEnvelope } from './event-envelope.js';

export interface OutboxRelayOptions {
  /** Name of the relay's checkpoint in the event store; one running relay per name. */
  readonly reader: string;
  readonly subjectFor: (event: StoredEvent) => string;
  /** The message an event becomes; default: its EventEnvelope, with its metadata as headers. */
  readonly messageFor?: (event: StoredEvent) => OutgoingMessage;
  /** Save the checkpoint after this many published events; default 100. */
  readonly batchSize?: number;
  /** Save the checkpoint no later than this after a publish; default 250 ms. */
  readonly checkpointIntervalMs?: number;
  /** Wait before retrying a failed publish; doubles after each further failure. Default 100 ms. */
  readonly retryDelayMs?: number;
  /** The longest wait between retries; default 5,000 ms. */
  readonly maxRetryDelayMs?: number;
  /** Told of every failure the relay recovers from (publish, checkpoint save, reading the store). */
  readonly onError?: (error: unknown) => void;
}

/** Header names the bus can carry; metadata under other keys travels in the envelope only. */
const HEADER_NAME = /^[A-Za-z0-9_-]+$/;

/** Ends a publish that is waiting to retry when the relay stops. */
class RelayStopped extends Error {
  constructor(reader: string) {
    super(`outbox relay ${reader}: stopped`);
    this.name = 'RelayStopped';
  }
}

/**
 * Publishes every stored event to the bus, in global order, with the event id as the message id.
 *
 * Nothing is lost: the checkpoint only ever moves past events the bus accepted, and a failed publish is
 * retried (with backoff) until it succeeds or the relay stops. Something may be published twice: after
 * a crash the relay resumes from its last saved checkpoint, and the bus dedupes by message id.
 */
export class OutboxRelay {
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new';
  private readonly stopping = new AbortController();
  private subscription: EventSubscription | undefined;
  private checkpoint: CheckpointWriter | undefined;
  private resubscribeTimer: NodeJS.Timeout | undefined;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  /** Wait before the next resubscription after the subscription failed; reset by a successful publish. */
  private recoveryDelayMs: number;

  constructor(
    private readonly store: EventStore,
    // Any publisher will do (the audit service relays to webhooks too); a bus is the usual one.
    private readonly bus: Pick<MessageBus, 'publishEvent'>,
    private readonly options: OutboxRelayOptions,
  ) {
    this.retryDelayMs = options.retryDelayMs ?? 100;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 5_000;
    this.recoveryDelayMs = this.retryDelayMs;
  }

  /** Loads the checkpoint and starts relaying; rejects when the checkpoint cannot be read. */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`outbox relay ${this.options.reader}: start() called twice`);
    this.state = 'running';
    const saved = await this.store.loadCheckpoint(this.options.reader);
    if (this.state !== 'running') return; // stopped while loading
    this.checkpoint = new CheckpointWriter(this.store, this.options.reader, saved, {
      batchSize: this.options.batchSize ?? 100,
      intervalMs: this.options.checkpointIntervalMs ?? 250,
      onError: (error) => this.report(error),
    });
    this.subscribeAfter(saved);
  }

  /** Stops after the publish in progress and saves the checkpoint. */
  async stop(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    this.stopping.abort();
    clearTimeout(this.resubscribeTimer);
    await this.subscription?.close();
    await this.checkpoint?.close();
    this.state = 'stopped';
  }

  private subscribeAfter(globalPosition: number): void {
    this.subscription = this.store.subscribe(
      globalPosition,
      (event) => this.relay(event),
      (error) => this.resubscribeLater(error),
    );
  }

  private async relay(event: StoredEvent): Promise<void> {
    await this.publishUntilAccepted(event);
    this.recoveryDelayMs = this.retryDelayMs;
    await this.checkpoint?.record(event.globalPosition);
  }

  private async publishUntilAccepted(event: StoredEvent): Promise<void> {
    const subject = this.options.subjectFor(event);
    const message: OutgoingMessage = this.options.messageFor?.(event) ?? {
      id: event.id,
      data: toEventEnvelope(event),
      headers: headersFor(event),
    };
    for (let delayMs = this.retryDelayMs; ; delayMs = Math.min(delayMs * 2, this.maxRetryDelayMs)) {
      try {
        await this.bus.publishEvent(subject, message);
        return;
      } catch (error) {
        if (this.state !== 'running') throw new RelayStopped(this.options.reader);
        this.report(
          new Error(
            `outbox relay ${this.options.reader}: publishing event ${event.id} (global position ` +
              `${event.globalPosition}) to ${subject} failed; retrying in ${delayMs} ms`,
            { cause: error },
          ),
        );
      }
      try {
        await sleep(delayMs, undefined, { signal: this.stopping.signal });
      } catch {
        throw new RelayStopped(this.options.reader);
      }
    }
  }

  /** The subscription ended on an error (reading the store, or subjectFor); carry on from what was published. */
  private resubscribeLater(error: unknown): void {
    if (this.state !== 'running') return;
    this.report(error);
    const delayMs = this.recoveryDelayMs;
    this.recoveryDelayMs = Math.min(delayMs * 2, this.maxRetryDelayMs);
    this.resubscribeTimer = setTimeout(() => {
      if (this.state === 'running' && this.checkpoint) this.subscribeAfter(this.checkpoint.position);
    }, delayMs);
  }

  private report(error: unknown): void {
    this.options.onError?.(error);
  }
}

function headersFor(event: StoredEvent): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.metadata ?? {})) {
    if (HEADER_NAME.test(name) && !/[\r\n]/.test(value)) headers[name] = value;
  }
  headers['Wharf-Event-Type'] = event.type;
  headers['Wharf-Stream'] = event.stream;
  return headers;
}
