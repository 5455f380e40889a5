import {
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import {
  connect,
  RequestError,
  TimeoutError,
  type ConnectionOptions,
  type Msg,
  type NatsConnection,
} from '@nats-io/transport-node';
import {
  BusTimeoutError,
  MessageBus,
  type BusConsumer,
  type BusMessage,
  type CommandConsumerOptions,
  type ConsumerLagReporter,
  type OutgoingMessage,
  type RequestOptions,
} from '@wharf/ports';
import { ensureCommandConsumer, ensureStreams, ensureSubscriberConsumer } from './jetstream-setup.util.js';
import { NatsLayout } from './nats-layout.util.js';
import {
  decodeError,
  decodeJson,
  encodeError,
  encodeJson,
  fromNatsHeaders,
  MESSAGE_ID_HEADER,
  REPLY_ERROR_HEADER,
  toNatsHeaders,
} from './nats-message.util.js';
import { PullLoop } from './pull-loop.worker.js';
import { redeliveryDelayMs } from './redelivery.util.js';

export interface NatsBusOptions {
  /** NATS server URL(s), e.g. `nats://nats:4222`. */
  readonly servers: string | string[];
  /** Connection name, shown in the server's monitoring; use the service name. */
  readonly name: string;
  /** Prefix of every subject, stream and queue group; default `wharf`. */
  readonly streamPrefix?: string;
  /** How long the events stream keeps an event for subscribers that are behind; default 7 days. */
  readonly eventsMaxAgeMs?: number;
  /** A message id published again within this window is stored once; default 2 minutes. */
  readonly duplicateWindowMs?: number;
}

const DEFAULT_ACK_WAIT_MS = 30_000;
const EVENT_ACK_WAIT_MS = 30_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
const PING_TIMEOUT_MS = 5_000;

/** The connection options NatsBus uses: it reconnects forever, so a NATS outage is ridden out, not fatal. */
export function natsConnectionOptions(options: Pick<NatsBusOptions, 'servers' | 'name'>): ConnectionOptions {
  return { servers: options.servers, name: options.name, maxReconnectAttempts: -1 };
}

/**
 * MessageBus on NATS: commands and events are durable in JetStream, requests use core NATS request/reply.
 * See NatsLayout for where each subject lives.
 */
export class NatsBus extends MessageBus implements ConsumerLagReporter {
  private readonly consumers = new Set<BusConsumer>();
  /** The durable JetStream consumers this bus opened, by the name the lag metric gives them. */
  private readonly durables = new Map<string, { stream: string; name: string }>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly connectionName: string,
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    private readonly layout: NatsLayout,
  ) {
    super();
  }

  /** Connects and makes sure the commands and events streams exist with the given limits. */
  static async connect(options: NatsBusOptions): Promise<NatsBus> {
    const layout = new NatsLayout(options.streamPrefix ?? 'wharf');
    const where = [options.servers].flat().join(', ');
    let nc: NatsConnection;
    try {
      nc = await connect(natsConnectionOptions(options));
    } catch (error) {
      throw new Error(`cannot connect to NATS at ${where}: ${(error as Error).message}`, { cause: error });
    }
    try {
      const jsm = await jetstreamManager(nc);
      await ensureStreams(jsm, layout, {
        eventsMaxAgeMs: options.eventsMaxAgeMs ?? 7 * 24 * 3_600_000,
        duplicateWindowMs: options.duplicateWindowMs ?? 2 * 60_000,
      });
      return new NatsBus(options.name, nc, jsm, jetstream(nc), layout);
    } catch (error) {
      await nc.close();
      throw error;
    }
  }

  async sendCommand<T>(subject: string, message: OutgoingMessage<T>): Promise<void> {
    await this.publish('command', this.layout.commandSubject(subject), subject, message);
  }

  async consumeCommands<T>(
    subject: string,
    handler: (message: BusMessage<T>) => Promise<void>,
    options: CommandConsumerOptions = {},
  ): Promise<BusConsumer> {
    this.assertOpen();
    // A work-queue stream refuses consumers whose filters overlap, so each command subject has one.
    if (/[*>]/.test(subject)) throw new Error(`command subject '${subject}' must not contain wildcards`);
    const concurrency = options.concurrency ?? 1;
    const ackWaitMs = options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`concurrency for '${subject}' must be a positive integer, got ${concurrency}`);
    }
    if (!(ackWaitMs > 0)) {
      throw new RangeError(`ackWaitMs for '${subject}' must be positive, got ${ackWaitMs}`);
    }
    const name = await ensureCommandConsumer(this.jsm, this.layout, subject, ackWaitMs);
    const consumer = await this.js.consumers.get(this.layout.streams.commands, name);
    this.durables.set(`command:${subject}`, { stream: this.layout.streams.commands, name });
    return this.track(new PullLoop(consumer, concurrency, (msg) => this.deliver(msg, handler)));
  }

  async publishEvent<T>(subject: string, message: OutgoingMessage<T>): Promise<void> {
    await this.publish('event', this.layout.eventSubject(subject), subject, message);
  }

  async subscribeEvents<T>(
    subscriber: string,
    subjectFilter: string,
    handler: (message: BusMessage<T>) => Promise<void>,
  ): Promise<BusConsumer> {
    this.assertOpen();
    const name = await ensureSubscriberConsumer(
      this.jsm,
      this.layout,
      subscriber,
      subjectFilter,
      EVENT_ACK_WAIT_MS,
    );
    const consumer = await this.js.consumers.get(this.layout.streams.events, name);
    this.durables.set(`subscriber:${subscriber}`, { stream: this.layout.streams.events, name });
    return this.track(new PullLoop(consumer, 1, (msg) => this.deliver(msg, handler)));
  }

  async request<Q, R>(subject: string, data: Q, options: RequestOptions = {}): Promise<R> {
    this.assertOpen();
    let reply: Msg;
    try {
      reply = await this.nc.request(this.layout.requestSubject(subject), encodeJson(data, subject), {
        timeout: options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
        headers: toNatsHeaders(options.headers),
      });
    } catch (error) {
      const noResponders = error instanceof RequestError && error.isNoResponders();
      if (noResponders || error instanceof TimeoutError) throw new BusTimeoutError(subject, noResponders);
      throw error;
    }
    if (reply.headers?.has(REPLY_ERROR_HEADER)) throw decodeError(reply.data);
    return decodeJson<R>(reply.data);
  }

  async handleRequests<Q, R>(
    subject: string,
    handler: (data: Q, headers: Readonly<Record<string, string>>) => Promise<R>,
  ): Promise<BusConsumer> {
    this.assertOpen();
    const subscription = this.nc.subscribe(this.layout.requestSubject(subject), {
      queue: this.layout.requestQueue,
      callback: (error, msg) => {
        if (!error) void this.answer(subject, msg, handler);
      },
    });
    // Once this resolves the server knows the handler, so a request sent right after finds it.
    await this.nc.flush();
    return this.track({
      // Draining hands requests that already reached this process to the handler instead of dropping them.
      close: async () => {
        if (!subscription.isClosed() && !this.nc.isClosed()) await subscription.drain();
      },
    });
  }

  /** Messages JetStream holds for each durable consumer of this bus that no consumer was handed yet. */
  async consumerLag(): Promise<ReadonlyMap<string, number>> {
    const lag = new Map<string, number>();
    for (const [key, { stream, name }] of this.durables) {
      if (this.nc.isClosed()) break;
      const info = await this.jsm.consumers.info(stream, name);
      lag.set(key, info.num_pending);
    }
    return lag;
  }

  async ping(): Promise<void> {
    this.assertOpen();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`NATS at ${this.nc.getServer()} did not answer a ping within ${PING_TIMEOUT_MS} ms`),
          ),
        PING_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([this.nc.flush(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops every consumer of this bus, then drains the connection so pending publishes and acks go out. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    await Promise.all([...this.consumers].map((consumer) => consumer.close()));
    if (!this.nc.isClosed()) await this.nc.drain();
  }

  /** Stores a message in its stream; JetStream drops it as a duplicate when its id was seen in the window. */
  private async publish<T>(
    kind: 'command' | 'event',
    natsSubject: string,
    subject: string,
    message: OutgoingMessage<T>,
  ): Promise<void> {
    this.assertOpen();
    const payload = encodeJson(message.data, subject);
    try {
      await this.js.publish(natsSubject, payload, {
        msgID: message.id,
        headers: toNatsHeaders(message.headers),
      });
    } catch (error) {
      throw new Error(`cannot publish ${kind} ${message.id} on '${subject}': ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /** Runs the handler on one JetStream message and settles it; never rejects. */
  private async deliver<T>(msg: JsMsg, handler: (message: BusMessage<T>) => Promise<void>): Promise<void> {
    let message: BusMessage<T>;
    try {
      message = {
        id: msg.headers?.get(MESSAGE_ID_HEADER) || `${msg.info.stream}:${msg.seq}`,
        subject: this.layout.portSubject(msg.subject),
        data: decodeJson<T>(msg.data),
        headers: fromNatsHeaders(msg.headers),
        deliveryCount: msg.info.deliveryCount,
        working: async () => settle(() => msg.working()),
      };
    } catch {
      // Not JSON, so not from a Wharf publisher: no retry would ever succeed.
      settle(() => msg.term());
      return;
    }
    try {
      await handler(message);
    } catch {
      settle(() => msg.nak(redeliveryDelayMs(msg.info.deliveryCount)));
      return;
    }
    settle(() => msg.ack());
  }

  /** Runs a request handler and replies with its result or its error; never rejects. */
  private async answer<Q, R>(
    subject: string,
    msg: Msg,
    handler: (data: Q, headers: Readonly<Record<string, string>>) => Promise<R>,
  ): Promise<void> {
    let reply: Uint8Array;
    let failed = false;
    try {
      reply = encodeJson(await handler(decodeJson<Q>(msg.data), fromNatsHeaders(msg.headers)), subject);
    } catch (error) {
      reply = encodeError(error);
      failed = true;
    }
    settle(() =>
      msg.respond(reply, failed ? { headers: toNatsHeaders({ [REPLY_ERROR_HEADER]: 'true' }) } : undefined),
    );
  }

  private track(stoppable: { close(): Promise<unknown> }): BusConsumer {
    const consumer: BusConsumer = {
      close: async () => {
        if (this.consumers.delete(consumer)) await stoppable.close();
      },
    };
    this.consumers.add(consumer);
    return consumer;
  }

  private assertOpen(): void {
    if (this.closing) throw new Error(`NatsBus '${this.connectionName}' is closed`);
  }
}

/**
 * Sends an ack, nak or reply. When the connection is already gone it cannot be sent, and need not be: the
 * server redelivers an unacknowledged message after its ack wait, and a requester times out.
 */
function settle(send: () => unknown): void {
  try {
    send();
  } catch {
    // Nothing to send it on; redelivery or the requester's timeout takes over.
  }
}
