import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteEventStore } from '@wharf/event-store-sqlite';
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
import { AggregateStreams, type AggregateDefinition, type DomainEvent } from './aggregate-streams.js';

/** A counter that refuses to go above a limit: small enough to read, strict enough to catch lost updates. */
interface Counter {
  readonly value: number;
}
type CounterCommand = { readonly type: 'Add'; readonly amount: number } | { readonly type: 'Reset' };
type CounterEvent = { readonly type: 'Added'; readonly data: { readonly amount: number } };

class LimitExceededError extends Error {}

const LIMIT = 100;

const counter: AggregateDefinition<Counter, CounterCommand, CounterEvent> = {
  streamPrefix: 'counter-',
  initial: { value: 0 },
  evolve: (state, event) => ({ value: state.value + event.data.amount }),
  decide: (command, state) => {
    if (command.type === 'Reset') {
      return state.value === 0 ? [] : [{ type: 'Added', data: { amount: -state.value } }];
    }
    if (state.value + command.amount > LIMIT)
      throw new LimitExceededError(`${state.value} + ${command.amount}`);
    return [{ type: 'Added', data: { amount: command.amount } }];
  },
  isEvent: (event: DomainEvent): event is CounterEvent => event.type === 'Added',
};

describe('AggregateStreams (SQLite event store)', () => {
  let store: SqliteEventStore;

  beforeEach(() => {
    store = new SqliteEventStore({ path: ':memory:' });
  });

  afterEach(async () => {
    await store.close();
  });

  it('appends what decide returns and folds it into the returned state', async () => {
    const streams = new AggregateStreams(store, counter);
    const first = await streams.execute('a', { type: 'Add', amount: 3 });
    const second = await streams.execute('a', { type: 'Add', amount: 4 });
    expect(first.state.value).toBe(3);
    expect(second.state.value).toBe(7);
    expect(second.events).toEqual([{ type: 'Added', data: { amount: 4 } }]);
    expect(second.lastGlobalPosition).toBeGreaterThan(first.lastGlobalPosition);
    expect(await store.streamVersion('counter-a')).toBe(2);
    expect((await new AggregateStreams(store, counter).load('a')).state.value).toBe(7);
  });

  it('appends nothing when decide returns no events', async () => {
    const streams = new AggregateStreams(store, counter);
    const outcome = await streams.execute('a', { type: 'Reset' });
    expect(outcome).toEqual({ state: { value: 0 }, events: [], lastGlobalPosition: 0 });
    expect(await store.streamVersion('counter-a')).toBe(0);
  });

  it('passes domain errors through and stores nothing', async () => {
    const streams = new AggregateStreams(store, counter);
    await expect(streams.execute('a', { type: 'Add', amount: LIMIT + 1 })).rejects.toThrow(
      LimitExceededError,
    );
    expect(await store.streamVersion('counter-a')).toBe(0);
  });

  it('loses no update when writers race for one stream, and re-decides on the state that won', async () => {
    // Two instances stand for two processes: neither's cache knows the other's appends.
    const one = new AggregateStreams(store, counter);
    const two = new AggregateStreams(store, counter);
    const writes = Array.from({ length: 20 }, (_, i) =>
      (i % 2 ? one : two).execute('a', { type: 'Add', amount: 5 }),
    );
    await Promise.all(writes);
    expect((await one.load('a')).state.value).toBe(100);
    // The limit is checked against the state each append is made on, so a racing write past it is refused.
    await expect(two.execute('a', { type: 'Add', amount: 1 })).rejects.toThrow(LimitExceededError);
  });

  it('builds the command from the state it is decided on when given a function', async () => {
    const streams = new AggregateStreams(store, counter);
    await streams.execute('a', { type: 'Add', amount: 10 });
    const seen: number[] = [];
    const outcome = await streams.execute('a', (state) => {
      seen.push(state.value);
      return { type: 'Add', amount: LIMIT - state.value };
    });
    expect(outcome.state.value).toBe(LIMIT);
    expect(seen).toEqual([10]);
  });

  it('stores the given metadata with every appended event', async () => {
    const streams = new AggregateStreams(store, counter);
    await streams.execute('a', { type: 'Add', amount: 1 }, { metadata: { actor: 'admin' } });
    const [event] = await store.readAll({ after: 0, limit: 10 });
    expect(event?.metadata).toEqual({ actor: 'admin' });
  });

  it('reads appends made by others after its cache evicted or kept a state', async () => {
    const streams = new AggregateStreams(store, counter, { cacheSize: 1 });
    const other = new AggregateStreams(store, counter);
    await streams.execute('a', { type: 'Add', amount: 1 });
    await streams.execute('b', { type: 'Add', amount: 2 }); // evicts 'a'
    await other.execute('a', { type: 'Add', amount: 3 });
    await other.execute('b', { type: 'Add', amount: 4 });
    expect((await streams.load('a')).state.value).toBe(4);
    expect((await streams.load('b')).state.value).toBe(6);
  });

  it('gives up with the version conflict after maxAttempts lost races', async () => {
    const streams = new AggregateStreams(new AlwaysConflicting(store), counter, { maxAttempts: 3 });
    await expect(streams.execute('a', { type: 'Add', amount: 1 })).rejects.toThrow(WrongExpectedVersionError);
  });
});

/** A store where someone else always appended first. */
class AlwaysConflicting extends EventStore {
  constructor(private readonly inner: EventStore) {
    super();
  }
  override async append(
    stream: string,
    _events: readonly NewEvent[],
    expected: ExpectedVersion,
  ): Promise<AppendResult> {
    throw new WrongExpectedVersionError(stream, expected, Number(expected) + 1);
  }
  override readStream(stream: string, options?: ReadStreamOptions): AsyncIterable<StoredEvent> {
    return this.inner.readStream(stream, options);
  }
  override streamVersion(stream: string): Promise<number> {
    return this.inner.streamVersion(stream);
  }
  override readAll(options: ReadAllOptions): Promise<StoredEvent[]> {
    return this.inner.readAll(options);
  }
  override subscribe(after: number, handler: (event: StoredEvent) => Promise<void>): EventSubscription {
    return this.inner.subscribe(after, handler);
  }
  override loadCheckpoint(reader: string): Promise<number> {
    return this.inner.loadCheckpoint(reader);
  }
  override saveCheckpoint(reader: string, position: number): Promise<void> {
    return this.inner.saveCheckpoint(reader, position);
  }
  override ping(): Promise<void> {
    return this.inner.ping();
  }
  override close(): Promise<void> {
    return this.inner.close();
  }
}
