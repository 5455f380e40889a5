import {
  EventStore,
  WrongExpectedVersionError,
  type AppendResult,
  type EventSubscription,
  type ExpectedVersion,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type StoredEvent,
} from '@wharf/ports';
import { eventStoreAppendDuration } from './metrics.js';
import { operationHeaders } from './operation-context.js';

/**
 * An owner's EventStore as services see it: every appended event carries the current operation (actor,
 * request id, task id, trace context) in its metadata unless the writer set those keys itself, so the
 * outbox, subscribers and the audit log learn who caused it without any writer passing it along; and append
 * latency is measured. Everything else goes straight to the adapter.
 */
export class ObservedEventStore extends EventStore {
  constructor(
    private readonly inner: EventStore,
    private readonly owner: string,
  ) {
    super();
  }

  async append(
    stream: string,
    events: readonly NewEvent[],
    expected: ExpectedVersion,
  ): Promise<AppendResult> {
    const operation = operationHeaders();
    const withOperation = Object.keys(operation).length
      ? events.map((event) => ({ ...event, metadata: { ...operation, ...event.metadata } }))
      : events;
    const stop = eventStoreAppendDuration.startTimer({ store: this.owner });
    try {
      const result = await this.inner.append(stream, withOperation, expected);
      stop({ outcome: 'ok' });
      return result;
    } catch (error) {
      stop({ outcome: error instanceof WrongExpectedVersionError ? 'conflict' : 'error' });
      throw error;
    }
  }

  readStream(stream: string, options?: ReadStreamOptions): AsyncIterable<StoredEvent> {
    return this.inner.readStream(stream, options);
  }

  streamVersion(stream: string): Promise<number> {
    return this.inner.streamVersion(stream);
  }

  readAll(options: ReadAllOptions): Promise<StoredEvent[]> {
    return this.inner.readAll(options);
  }

  subscribe(
    after: number,
    handler: (event: StoredEvent) => Promise<void>,
    onError?: (error: unknown) => void,
  ): EventSubscription {
    return this.inner.subscribe(after, handler, onError);
  }

  loadCheckpoint(reader: string): Promise<number> {
    return this.inner.loadCheckpoint(reader);
  }

  saveCheckpoint(reader: string, globalPosition: number): Promise<void> {
    return this.inner.saveCheckpoint(reader, globalPosition);
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
