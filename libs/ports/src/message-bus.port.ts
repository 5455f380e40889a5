/**
 * How services talk. Three patterns, each with its own delivery promise:
 *
 * - Commands (`sendCommand` / `consumeCommands`): a durable work queue per subject. Each command is handled
 *   by exactly one consumer at a time; it is acknowledged when the handler resolves and delivered again
 *   (to this or another consumer) when the handler throws, or when the consumer dies before resolving, after
 *   `ackWaitMs`. Handlers must therefore be idempotent.
 * - Events (`publishEvent` / `subscribeEvents`): durable fan-out. Every named subscriber sees every event at
 *   least once, in publish order, even if it was offline when the event was published. Publishing the same
 *   message id twice within the duplicate window stores it once; subscribers still dedupe by id.
 * - Queries (`request` / `handleRequests`): request/reply, not durable. A request without a live handler,
 *   or whose handler is slower than `timeoutMs`, rejects with BusTimeoutError; a handler that throws makes
 *   the request reject with RemoteError carrying the error's name, message and details.
 *
 * Subjects are dot-separated tokens (`content.repository.created`); subscriptions may end with `>` to match
 * all deeper subjects (NATS semantics). Payloads are JSON values.
 */
export interface BusMessage<T = unknown> {
  readonly id: string;
  readonly subject: string;
  readonly data: T;
  readonly headers: Readonly<Record<string, string>>;
  /** 1 on the first delivery, higher on redelivery. */
  readonly deliveryCount: number;
  /**
   * Tells the bus the handler is still at work: the ack wait of this delivery starts over, so a handler
   * that outlives `ackWaitMs` yet calls this more often than that is not given a second delivery. Does
   * nothing once the delivery was settled or its ack wait ran out.
   */
  working(): Promise<void>;
}

export interface OutgoingMessage<T = unknown> {
  /** Unique message id; the bus dedupes on it. */
  readonly id: string;
  readonly data: T;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface CommandConsumerOptions {
  /** Commands handled at once by this consumer; default 1. */
  readonly concurrency?: number;
  /** Redeliver when not acknowledged within this time; default 30 s. */
  readonly ackWaitMs?: number;
}

export interface RequestOptions {
  readonly timeoutMs?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface BusConsumer {
  close(): Promise<void>;
}

export class BusTimeoutError extends Error {
  constructor(
    readonly subject: string,
    /**
     * True when no process was answering the subject at all (NATS "no responders"), so the request reached
     * no one and may be sent again safely; typically the one process of a service is restarting.
     */
    readonly noResponders = false,
  ) {
    super(`no reply on ${subject} in time`);
    this.name = 'BusTimeoutError';
  }
}

/** A query handler's failure, carried back to the caller across the bus. */
export class RemoteError extends Error {
  constructor(
    readonly remoteName: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'RemoteError';
  }
}

/** Errors that cross the bus as RemoteError keep `name`, `message` and this optional `details` field. */
export interface ErrorWithDetails extends Error {
  readonly details?: unknown;
}

export abstract class MessageBus {
  abstract sendCommand<T>(subject: string, message: OutgoingMessage<T>): Promise<void>;

  abstract consumeCommands<T>(
    subject: string,
    handler: (message: BusMessage<T>) => Promise<void>,
    options?: CommandConsumerOptions,
  ): Promise<BusConsumer>;

  abstract publishEvent<T>(subject: string, message: OutgoingMessage<T>): Promise<void>;

  /**
   * Durable subscription named `subscriber` to `subjectFilter`; resumes where that name left off. Handlers
   * run one at a time, so each subscriber sees events in publish order; a handler that throws gets the
   * event again.
   */
  abstract subscribeEvents<T>(
    subscriber: string,
    subjectFilter: string,
    handler: (message: BusMessage<T>) => Promise<void>,
  ): Promise<BusConsumer>;

  abstract request<Q, R>(subject: string, data: Q, options?: RequestOptions): Promise<R>;

  abstract handleRequests<Q, R>(
    subject: string,
    handler: (data: Q, headers: Readonly<Record<string, string>>) => Promise<R>,
  ): Promise<BusConsumer>;

  abstract ping(): Promise<void>;

  abstract close(): Promise<void>;
}

/**
 * Optional capability of a bus adapter that can tell how many messages wait for each durable consumer it
 * opened (keyed as `command:<subject>` and `subscriber:<name>`), for the consumer-lag metric.
 */
export interface ConsumerLagReporter {
  consumerLag(): Promise<ReadonlyMap<string, number>>;
}

export function reportsConsumerLag(bus: MessageBus): bus is MessageBus & ConsumerLagReporter {
  return typeof (bus as Partial<ConsumerLagReporter>).consumerLag === 'function';
}
