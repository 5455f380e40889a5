import {
  BusTimeoutError,
  MessageBus,
  type BusConsumer,
  type BusMessage,
  type CommandConsumerOptions,
  type OutgoingMessage,
  type RequestOptions,
} from '@wharf/ports';
import type { StoredMessage } from './command-queue.broker.js';
import type { InMemoryBroker } from './in-memory.broker.js';
import { decodePayload, encodePayload, toRemoteError } from './payload.util.js';
import { assertConcreteSubject, assertSubscriberName } from './subject.util.js';

const DEFAULT_ACK_WAIT_MS = 30_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/**
 * One service's handle on an InMemoryBroker. Everything it registers is detached by its `close()`, which
 * is how the all-in-one process stops one service without disturbing the others.
 */
export class InMemoryBus extends MessageBus {
  private readonly consumers = new Set<BusConsumer>();
  private closed = false;

  constructor(private readonly broker: InMemoryBroker) {
    super();
  }

  async sendCommand<T>(subject: string, message: OutgoingMessage<T>): Promise<void> {
    this.assertOpen();
    assertConcreteSubject(subject, 'command');
    this.broker.sendCommand(toStoredMessage(subject, message));
  }

  async consumeCommands<T>(
    subject: string,
    handler: (message: BusMessage<T>) => Promise<void>,
    options: CommandConsumerOptions = {},
  ): Promise<BusConsumer> {
    this.assertOpen();
    assertConcreteSubject(subject, 'command');
    const concurrency = options.concurrency ?? 1;
    const ackWaitMs = options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`concurrency for '${subject}' must be a positive integer, got ${concurrency}`);
    }
    if (!(ackWaitMs > 0)) {
      throw new RangeError(`ackWaitMs for '${subject}' must be positive, got ${ackWaitMs}`);
    }
    const detach = this.broker.consumeCommands(subject, {
      handler: handler as (message: BusMessage<unknown>) => Promise<void>,
      concurrency,
      ackWaitMs,
    });
    return this.track(detach);
  }

  async publishEvent<T>(subject: string, message: OutgoingMessage<T>): Promise<void> {
    this.assertOpen();
    assertConcreteSubject(subject, 'event');
    this.broker.publishEvent(toStoredMessage(subject, message));
  }

  async subscribeEvents<T>(
    subscriber: string,
    subjectFilter: string,
    handler: (message: BusMessage<T>) => Promise<void>,
  ): Promise<BusConsumer> {
    this.assertOpen();
    assertSubscriberName(subscriber);
    const detach = this.broker.subscribeEvents(
      subscriber,
      subjectFilter,
      handler as (message: BusMessage<unknown>) => Promise<void>,
    );
    return this.track(detach);
  }

  async request<Q, R>(subject: string, data: Q, options: RequestOptions = {}): Promise<R> {
    this.assertOpen();
    assertConcreteSubject(subject, 'request');
    const body = encodePayload(data, subject);
    const handler = this.broker.requestHandlerFor(subject);
    // Like NATS reporting "no responders", a request nobody can answer fails at once instead of waiting.
    if (!handler) throw new BusTimeoutError(subject, true);
    const headers = { ...options.headers };
    const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    return new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => reject(new BusTimeoutError(subject)), timeoutMs);
      // A reply JSON cannot carry fails on the handler's side, as it would when sent over NATS.
      Promise.resolve()
        .then(() => handler(decodePayload(body), headers))
        .then((reply) => encodePayload(reply, subject))
        .then(
          (reply) => resolve(decodePayload<R>(reply)),
          (error: unknown) => reject(toRemoteError(error)),
        )
        .finally(() => clearTimeout(timer));
    });
  }

  async handleRequests<Q, R>(
    subject: string,
    handler: (data: Q, headers: Readonly<Record<string, string>>) => Promise<R>,
  ): Promise<BusConsumer> {
    this.assertOpen();
    const detach = this.broker.handleRequests(
      subject,
      handler as (data: unknown, headers: Readonly<Record<string, string>>) => Promise<unknown>,
    );
    return this.track(detach);
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.consumers].map((consumer) => consumer.close()));
  }

  private track(detach: () => void): BusConsumer {
    const consumer: BusConsumer = {
      close: async () => {
        if (this.consumers.delete(consumer)) detach();
      },
    };
    this.consumers.add(consumer);
    return consumer;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('InMemoryBus handle is closed');
  }
}

function toStoredMessage<T>(subject: string, message: OutgoingMessage<T>): StoredMessage {
  return {
    id: message.id,
    subject,
    body: encodePayload(message.data, subject),
    headers: { ...message.headers },
  };
}
