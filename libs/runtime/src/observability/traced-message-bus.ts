import { ROOT_CONTEXT } from '@opentelemetry/api';
import {
  MessageBus,
  reportsConsumerLag,
  type BusConsumer,
  type BusMessage,
  type CommandConsumerOptions,
  type ConsumerLagReporter,
  type OutgoingMessage,
  type RequestOptions,
} from '@wharf/ports';
import { contextFromHeaders, operationHeaders, runInContext } from './operation-context.js';

/**
 * The process's MessageBus with trace context and operation fields carried across it: every command and
 * request leaving the process gets the current `traceparent` and operation headers (headers the caller set
 * win), and every handler runs inside the context its message carried. Adapters stay unaware of it.
 * It also knows which durable consumers it opened, so consumer lag can name each (0 when the adapter cannot
 * tell, as the in-process bus, whose consumers never wait on a network).
 */
export class TracedMessageBus extends MessageBus implements ConsumerLagReporter {
  private readonly consumerNames = new Set<string>();

  constructor(private readonly inner: MessageBus) {
    super();
  }

  sendCommand<T>(subject: string, message: OutgoingMessage<T>): Promise<void> {
    return this.inner.sendCommand(subject, withOperationHeaders(message));
  }

  consumeCommands<T>(
    subject: string,
    handler: (message: BusMessage<T>) => Promise<void>,
    options?: CommandConsumerOptions,
  ): Promise<BusConsumer> {
    this.consumerNames.add(`command:${subject}`);
    return this.inner.consumeCommands<T>(subject, inContextOf(handler), options);
  }

  // Events are published by relays tailing a store, in whatever context woke them; the operation an event
  // belongs to is in its own metadata, which the relay already made its headers.
  publishEvent<T>(subject: string, message: OutgoingMessage<T>): Promise<void> {
    return this.inner.publishEvent(subject, message);
  }

  subscribeEvents<T>(
    subscriber: string,
    subjectFilter: string,
    handler: (message: BusMessage<T>) => Promise<void>,
  ): Promise<BusConsumer> {
    this.consumerNames.add(`subscriber:${subscriber}`);
    return this.inner.subscribeEvents<T>(subscriber, subjectFilter, inContextOf(handler));
  }

  request<Q, R>(subject: string, data: Q, options: RequestOptions = {}): Promise<R> {
    return this.inner.request<Q, R>(subject, data, {
      ...options,
      headers: { ...operationHeaders(), ...options.headers },
    });
  }

  handleRequests<Q, R>(
    subject: string,
    handler: (data: Q, headers: Readonly<Record<string, string>>) => Promise<R>,
  ): Promise<BusConsumer> {
    return this.inner.handleRequests<Q, R>(subject, (data, headers) =>
      runInContext(contextFromHeaders(headers, ROOT_CONTEXT), () => handler(data, headers)),
    );
  }

  async consumerLag(): Promise<ReadonlyMap<string, number>> {
    const lag = new Map([...this.consumerNames].map((name) => [name, 0]));
    if (reportsConsumerLag(this.inner)) {
      for (const [name, pending] of await this.inner.consumerLag()) lag.set(name, pending);
    }
    return lag;
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

function withOperationHeaders<T>(message: OutgoingMessage<T>): OutgoingMessage<T> {
  return { ...message, headers: { ...operationHeaders(), ...message.headers } };
}

function inContextOf<T>(
  handler: (message: BusMessage<T>) => Promise<void>,
): (message: BusMessage<T>) => Promise<void> {
  return (message) => runInContext(contextFromHeaders(message.headers, ROOT_CONTEXT), () => handler(message));
}
