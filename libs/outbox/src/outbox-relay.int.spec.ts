import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SqliteEventStore } from '@wharf/event-store-sqlite';
import { MessageBus, type NewEvent, type OutgoingMessage, type StoredEvent } from '@wharf/ports';
import { OutboxRelay, type EventEnvelope, type OutboxRelayOptions } from './index.js';

interface Published {
  readonly subject: string;
  readonly message: OutgoingMessage<EventEnvelope>;
}

/** Records what is published; can be told to refuse publishes, as a bus that is down does. */
class RecordingBus extends MessageBus {
  readonly published: Published[] = [];
  failuresToCome = 0;
  failForever = false;
  refused = 0;

  async publishEvent<T>(subject: string, message: OutgoingMessage<T>): Promise<void> {
    if (this.failForever || this.failuresToCome > 0) {
      this.failuresToCome = Math.max(0, this.failuresToCome - 1);
      this.refused++;
      throw new Error('bus unavailable');
    }
    this.published.push({
      subject,
      message: message as OutgoingMessage<unknown> as OutgoingMessage<EventEnvelope>,
    });
  }

  publishedIds(): string[] {
    return this.published.map((p) => p.message.id);
  }

  async sendCommand(): Promise<never> {
    throw new Error('RecordingBus: the relay sends no commands');
  }
  async consumeCommands(): Promise<never> {
    throw new Error('RecordingBus: the relay consumes no commands');
  }
  async subscribeEvents(): Promise<never> {
    throw new Error('RecordingBus: the relay subscribes to nothing');
  }
  async request(): Promise<never> {
    throw new Error('RecordingBus: the relay sends no requests');
  }
  async handleRequests(): Promise<never> {
    throw new Error('RecordingBus: the relay handles no requests');
  }
  async ping(): Promise<void> {}
  async close(): Promise<void> {}
}

const READER = 'outbox';

function events(count: number, type = 'RepositoryVersionCreated'): NewEvent[] {
  return Array.from({ length: count }, (_, index) => ({ id: randomUUID(), type, data: { index } }));
}

describe('OutboxRelay', () => {
  let store: SqliteEventStore;
  let bus: RecordingBus;
  const relays: OutboxRelay[] = [];
  const errors: unknown[] = [];

  function startRelay(options: Partial<OutboxRelayOptions> = {}): Promise<OutboxRelay> {
    const relay = new OutboxRelay(store, bus, {
      reader: READER,
      subjectFor: (event) => `content.${event.type}`,
      retryDelayMs: 5,
      maxRetryDelayMs: 20,
      onError: (error) => errors.push(error),
      ...options,
    });
    relays.push(relay);
    return relay.start().then(() => relay);
  }

  async function allStored(): Promise<StoredEvent[]> {
    return store.readAll({ after: 0, limit: 10_000 });
  }

  async function waitUntilPublished(count: number): Promise<void> {
    await vi.waitFor(() => expect(bus.published).toHaveLength(count), { timeout: 5_000, interval: 10 });
  }

  beforeEach(() => {
    store = new SqliteEventStore({ path: ':memory:', pollIntervalMs: 20 });
    bus = new RecordingBus();
    errors.length = 0;
  });

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
    await store.close();
  });

  it('publishes everything stored, before and after it started, once each and in global order', async () => {
    await store.append('repository-a', events(3), 0);
    await store.append('repository-b', events(2), 0);
    const relay = await startRelay();
    await store.append('repository-a', events(2), 3);
    await store.append('repository-c', events(1, 'TaskCompleted'), 0);

    await waitUntilPublished(8);
    await relay.stop();

    const stored = await allStored();
    expect(bus.publishedIds()).toEqual(stored.map((e) => e.id));
    expect(bus.published.at(-1)?.subject).toBe('content.TaskCompleted');
    expect(await store.loadCheckpoint(READER)).toBe(stored[7].globalPosition);
    expect(errors).toEqual([]);
  });

  it('publishes each event as a JSON envelope under its id, with its type and stream as headers', async () => {
    const correlationId = randomUUID();
    const [event] = events(1);
    await store.append('repository-a', [{ ...event, metadata: { correlationId } }], 0);
    await startRelay();

    await waitUntilPublished(1);

    const [stored] = await allStored();
    const { subject, message } = bus.published[0];
    expect(subject).toBe('content.RepositoryVersionCreated');
    expect(message.id).toBe(event.id);
    expect(message.data).toEqual({
      id: event.id,
      type: 'RepositoryVersionCreated',
      stream: 'repository-a',
      position: 1,
      globalPosition: stored.globalPosition,
      recordedAt: stored.recordedAt.toISOString(),
      data: { index: 0 },
      metadata: { correlationId },
    });
    expect(JSON.parse(JSON.stringify(message.data))).toEqual(message.data);
    expect(message.headers).toEqual({
      correlationId,
      'Wharf-Event-Type': 'RepositoryVersionCreated',
      'Wharf-Stream': 'repository-a',
    });
  });

  it('resumes after its checkpoint when started again', async () => {
    await store.append('repository-a', events(4), 0);
    const first = await startRelay();
    await waitUntilPublished(4);
    await first.stop();
    const later = events(3);
    await store.append('repository-a', later, 4);

    await startRelay();
    await waitUntilPublished(7);

    expect(bus.publishedIds().slice(4)).toEqual(later.map((e) => e.id));
    expect(new Set(bus.publishedIds()).size).toBe(7);
  });

  it('saves its checkpoint every batchSize events while running, so a crash re-publishes only the latest', async () => {
    await startRelay({ batchSize: 3, checkpointIntervalMs: 60_000 });
    await store.append('repository-a', events(7), 0);
    await waitUntilPublished(7);

    const sixth = (await allStored())[5].globalPosition;
    await vi.waitFor(async () => expect(await store.loadCheckpoint(READER)).toBe(sixth), {
      timeout: 2_000,
      interval: 10,
    });
  });

  it('saves its checkpoint soon after a publish even when fewer than batchSize events came', async () => {
    await startRelay({ batchSize: 100, checkpointIntervalMs: 50 });
    await store.append('repository-a', events(2), 0);
    await waitUntilPublished(2);

    const last = (await allStored())[1].globalPosition;
    await vi.waitFor(async () => expect(await store.loadCheckpoint(READER)).toBe(last), {
      timeout: 2_000,
      interval: 10,
    });
  });

  it('retries while the bus refuses, delaying but losing and reordering nothing', async () => {
    bus.failuresToCome = 4;
    await store.append('repository-a', events(5), 0);
    await startRelay();
    await store.append('repository-b', events(2), 0);

    await waitUntilPublished(7);

    expect(bus.publishedIds()).toEqual((await allStored()).map((e) => e.id));
    expect(bus.refused).toBe(4);
    expect(errors).toHaveLength(4);
    expect(String(errors[0])).toMatch(/publishing event .* failed; retrying/);
  });

  it('stops promptly while the bus is down without moving the checkpoint past unpublished events', async () => {
    await store.append('repository-a', events(2), 0);
    const relay = await startRelay({ retryDelayMs: 60_000, maxRetryDelayMs: 60_000 });
    await waitUntilPublished(2);
    const published = await store.readAll({ after: 0, limit: 10 });
    bus.failForever = true;
    const unpublished = events(3);
    await store.append('repository-a', unpublished, 2);
    await vi.waitFor(() => expect(bus.refused).toBe(1), { timeout: 5_000, interval: 10 });

    const stopping = Date.now();
    await relay.stop();

    expect(Date.now() - stopping).toBeLessThan(1_000);
    expect(await store.loadCheckpoint(READER)).toBe(published[1].globalPosition);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toMatch(/publishing event .* failed; retrying in 60000 ms/);
    bus.failForever = false;
    await startRelay();
    await waitUntilPublished(5);
    expect(bus.publishedIds().slice(2)).toEqual(unpublished.map((e) => e.id));
  });
});
