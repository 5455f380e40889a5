import { createHash, randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  WrongExpectedVersionError,
  type EventStore,
  type EventSubscription,
  type NewEvent,
  type StoredEvent,
} from '@wharf/ports';

export interface OpenedEventStore {
  /** An empty store, opened for one test. */
  readonly store: EventStore;
  /**
   * Opens another store over the same storage. The suite uses it to show durability (close, then reopen)
   * and cooperation between instances; without it those checks run on the one store. The suite closes
   * what it reopens.
   */
  readonly reopen?: () => Promise<EventStore>;
  /** Closes the store (it may already be closed) and removes its storage. */
  readonly cleanup: () => Promise<void>;
}

/** How long a subscription may take to deliver what it should; polling adapters need some slack. */
const DELIVERY_TIMEOUT_MS = 5_000;

/**
 * The behaviour every EventStore adapter must show (libs/ports/src/event-store.port.ts). `open` is called
 * once per test and must return an empty store.
 */
export function eventStoreContract(adapterName: string, open: () => Promise<OpenedEventStore>): void {
  describe(`EventStore contract: ${adapterName}`, () => {
    let opened: OpenedEventStore;
    let store: EventStore;

    beforeEach(async () => {
      opened = await open();
      store = opened.store;
    });

    afterEach(async () => {
      await opened.cleanup();
    });

    /** A second store over the same storage, or the same store when the adapter cannot reopen. */
    async function secondInstance(): Promise<{ other: EventStore; closeOther: () => Promise<void> }> {
      if (!opened.reopen) return { other: store, closeOther: async () => undefined };
      const other = await opened.reopen();
      return { other, closeOther: () => other.close() };
    }

    describe('append', () => {
      it('appends to a new stream with expected version 0, numbering positions from 1', async () => {
        const stream = newStreamName();
        const batch = someEvents(3);

        const result = await store.append(stream, batch, 0);

        const stored = await readWholeStream(store, stream);
        expect(stored.map((e) => e.position)).toEqual([1, 2, 3]);
        expect(stored.map((e) => e.id)).toEqual(batch.map((e) => e.id));
        expect(stored.map((e) => e.data)).toEqual(batch.map((e) => e.data));
        expect(stored.every((e) => e.stream === stream && e.type === 'ThingHappened')).toBe(true);
        expect(result).toEqual({ nextExpectedVersion: 3, lastGlobalPosition: stored[2].globalPosition });
      });

      it('continues the positions of a stream across appends', async () => {
        const stream = newStreamName();
        await store.append(stream, someEvents(2), 0);

        const result = await store.append(stream, someEvents(3), 2);

        expect(result.nextExpectedVersion).toBe(5);
        expect((await readWholeStream(store, stream)).map((e) => e.position)).toEqual([1, 2, 3, 4, 5]);
      });

      it('rejects a stale writer with WrongExpectedVersionError and stores nothing of its batch', async () => {
        const stream = newStreamName();
        await store.append(stream, someEvents(2), 0);
        const stale = someEvents(2);

        const failure = await store.append(stream, stale, 1).catch((error: unknown) => error);

        expect(failure).toBeInstanceOf(WrongExpectedVersionError);
        expect(failure).toMatchObject({ stream, expected: 1, actual: 2 });
        expect(await store.streamVersion(stream)).toBe(2);
        const everything = await store.readAll({ after: 0, limit: 100 });
        expect(everything).toHaveLength(2);
        expect(everything.some((e) => stale.some((s) => s.id === e.id))).toBe(false);
      });

      it('rejects an expected version ahead of the stream', async () => {
        const stream = newStreamName();

        await expect(store.append(stream, someEvents(1), 3)).rejects.toMatchObject({
          name: 'WrongExpectedVersionError',
          expected: 3,
          actual: 0,
        });
        expect(await store.streamVersion(stream)).toBe(0);
      });

      it('lets exactly one of two concurrent writers with the same expected version win', async () => {
        const stream = newStreamName();
        await store.append(stream, someEvents(1), 0);
        const { other, closeOther } = await secondInstance();
        const first = someEvents(2);
        const second = someEvents(2);

        const outcomes = await Promise.allSettled([
          store.append(stream, first, 1),
          other.append(stream, second, 1),
        ]);

        await closeOther();
        const winners = outcomes.filter((o) => o.status === 'fulfilled');
        const losers = outcomes.filter((o) => o.status === 'rejected');
        expect(winners).toHaveLength(1);
        expect(losers).toHaveLength(1);
        expect(losers[0].reason).toBeInstanceOf(WrongExpectedVersionError);
        expect(losers[0].reason).toMatchObject({ expected: 1, actual: 3 });
        const winningBatch = outcomes[0].status === 'fulfilled' ? first : second;
        const stored = await readWholeStream(store, stream);
        expect(stored.slice(1).map((e) => e.id)).toEqual(winningBatch.map((e) => e.id));
        expect(await store.readAll({ after: 0, limit: 100 })).toHaveLength(3);
      });

      it("appends with 'any' at the end of the stream, whatever its version", async () => {
        const stream = newStreamName();
        await store.append(stream, someEvents(1), 'any');
        await store.append(stream, someEvents(2), 'any');

        expect(await store.streamVersion(stream)).toBe(3);
        expect((await readWholeStream(store, stream)).map((e) => e.position)).toEqual([1, 2, 3]);
      });

      it("keeps each batch of concurrent 'any' appends together and every position taken once", async () => {
        const stream = newStreamName();
        const batches = Array.from({ length: 5 }, () => someEvents(3));

        await Promise.all(batches.map((batch) => store.append(stream, batch, 'any')));

        const stored = await readWholeStream(store, stream);
        expect(stored.map((e) => e.position)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
        const storedIds = stored.map((e) => e.id);
        for (const batch of batches) {
          const start = storedIds.indexOf(batch[0].id);
          expect(storedIds.slice(start, start + 3)).toEqual(batch.map((e) => e.id));
        }
      });

      it('treats an empty batch as a version check that stores nothing', async () => {
        const stream = newStreamName();
        expect(await store.append(stream, [], 0)).toEqual({ nextExpectedVersion: 0, lastGlobalPosition: 0 });
        const written = await store.append(stream, someEvents(2), 0);

        expect(await store.append(stream, [], 2)).toEqual(written);
        await expect(store.append(stream, [], 1)).rejects.toBeInstanceOf(WrongExpectedVersionError);
        expect(await store.readAll({ after: 0, limit: 100 })).toHaveLength(2);
      });
    });

    describe('readStream', () => {
      it('reads a range of positions, honouring fromPosition, toPosition and limit', async () => {
        const stream = newStreamName();
        await store.append(stream, someEvents(10), 0);

        const positions = async (options: Parameters<EventStore['readStream']>[1]) =>
          (await collect(store.readStream(stream, options))).map((e) => e.position);

        expect(await positions({ fromPosition: 8 })).toEqual([8, 9, 10]);
        expect(await positions({ toPosition: 3 })).toEqual([1, 2, 3]);
        expect(await positions({ fromPosition: 3, toPosition: 7, limit: 2 })).toEqual([3, 4]);
        expect(await positions({ fromPosition: 6, toPosition: 7, limit: 5 })).toEqual([6, 7]);
        expect(await positions({ limit: 0 })).toEqual([]);
        expect(await positions({ fromPosition: 11 })).toEqual([]);
      });

      it('reads long streams in order, across however many pages the adapter reads', async () => {
        const stream = newStreamName();
        await store.append(stream, someEvents(150), 0);
        await store.append(newStreamName(), someEvents(5), 0);

        const all = await readWholeStream(store, stream);
        const middle = await collect(store.readStream(stream, { fromPosition: 20, limit: 70 }));

        expect(all.map((e) => e.position)).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
        expect(middle.map((e) => e.position)).toEqual(Array.from({ length: 70 }, (_, i) => i + 20));
      });

      it('reads nothing from a stream that does not exist, and only its own events from one that does', async () => {
        const mine = newStreamName();
        await store.append(mine, someEvents(2), 0);
        await store.append(newStreamName(), someEvents(3), 0);

        expect(await readWholeStream(store, newStreamName())).toEqual([]);
        expect((await readWholeStream(store, mine)).every((e) => e.stream === mine)).toBe(true);
        expect(await readWholeStream(store, mine)).toHaveLength(2);
      });
    });

    describe('streamVersion', () => {
      it('is 0 for a missing stream and the last position otherwise', async () => {
        const stream = newStreamName();
        expect(await store.streamVersion(stream)).toBe(0);

        await store.append(stream, someEvents(4), 0);
        await store.append(newStreamName(), someEvents(2), 0);

        expect(await store.streamVersion(stream)).toBe(4);
      });
    });

    describe('readAll', () => {
      it('reads every stream in one global order: the order of the appends', async () => {
        const [a, b, c] = [newStreamName(), newStreamName(), newStreamName()];
        const appended: NewEvent[] = [];
        const lastGlobalPositions: number[] = [];
        for (const [stream, batch, expected] of [
          [a, someEvents(2), 0],
          [b, someEvents(1), 0],
          [a, someEvents(1), 2],
          [c, someEvents(3), 0],
        ] as const) {
          const result = await store.append(stream, batch, expected);
          appended.push(...batch);
          lastGlobalPositions.push(result.lastGlobalPosition);
        }

        const all = await store.readAll({ after: 0, limit: 100 });

        expect(all.map((e) => e.id)).toEqual(appended.map((e) => e.id));
        expect(isStrictlyIncreasing(all.map((e) => e.globalPosition))).toBe(true);
        const byId = new Map(all.map((e) => [e.id, e]));
        expect(lastGlobalPositions).toEqual(
          [appended[1], appended[2], appended[3], appended[6]].map((e) => byId.get(e.id)?.globalPosition),
        );
      });

      it('pages through the log with `after` and `limit`', async () => {
        for (let i = 0; i < 5; i++) await store.append(newStreamName(), someEvents(5), 0);
        const everything = await store.readAll({ after: 0, limit: 1_000 });

        const pageSizes: number[] = [];
        const paged: StoredEvent[] = [];
        let after = 0;
        for (;;) {
          const page = await store.readAll({ after, limit: 10 });
          if (page.length === 0) break;
          pageSizes.push(page.length);
          paged.push(...page);
          after = page[page.length - 1].globalPosition;
        }

        expect(everything).toHaveLength(25);
        expect(pageSizes).toEqual([10, 10, 5]);
        expect(paged.map((e) => e.id)).toEqual(everything.map((e) => e.id));
        expect(await store.readAll({ after: everything[24].globalPosition, limit: 10 })).toEqual([]);
      });
    });

    describe('subscribe', () => {
      it('delivers the backlog after a checkpoint, then live appends, in order and one at a time', async () => {
        const [a, b] = [newStreamName(), newStreamName()];
        const backlog = someEvents(5);
        const checkpoint = (await store.append(a, backlog.slice(0, 2), 0)).lastGlobalPosition;
        await store.append(b, backlog.slice(2), 0);
        const received: StoredEvent[] = [];
        let running = 0;
        let mostAtOnce = 0;
        const subscription = store.subscribe(checkpoint, async (event) => {
          running++;
          mostAtOnce = Math.max(mostAtOnce, running);
          await new Promise((resolve) => setTimeout(resolve, 2));
          received.push(event);
          running--;
        });

        await waitUntilReceived(received, 3);
        const live = someEvents(4);
        await store.append(a, live.slice(0, 1), 2);
        await store.append(b, live.slice(1), 3);
        await waitUntilReceived(received, 7);
        await subscription.close();

        expect(received.map((e) => e.id)).toEqual([...backlog.slice(2), ...live].map((e) => e.id));
        expect(isStrictlyIncreasing(received.map((e) => e.globalPosition))).toBe(true);
        expect(mostAtOnce).toBe(1);
      });

      it('stops when closed, even in the middle of the backlog, and delivers no later appends', async () => {
        const stream = newStreamName();
        await store.append(stream, someEvents(5), 0);
        const received: StoredEvent[] = [];
        let enterHandler = (): void => undefined;
        let releaseHandler = (): void => undefined;
        const handlerEntered = new Promise<void>((resolve) => (enterHandler = resolve));
        const handlerReleased = new Promise<void>((resolve) => (releaseHandler = resolve));
        const subscription = store.subscribe(0, async (event) => {
          received.push(event);
          enterHandler();
          await handlerReleased;
        });

        await handlerEntered;
        const closing = subscription.close();
        releaseHandler();
        await closing;
        await expectNoMoreDeliveries(store, received, stream, 5);

        expect(received.map((e) => e.position)).toEqual([1]);
      });

      it('can be closed from inside its own handler', async () => {
        const stream = newStreamName();
        await store.append(stream, someEvents(3), 0);
        const received: StoredEvent[] = [];
        let closed: Promise<void> | undefined;
        const subscription: EventSubscription = store.subscribe(0, async (event) => {
          received.push(event);
          if (event.position === 2) {
            closed = subscription.close();
            await closed;
          }
        });

        await vi.waitFor(() => expect(closed).toBeDefined(), { timeout: DELIVERY_TIMEOUT_MS, interval: 10 });
        await withTimeout(closed ?? Promise.resolve(), 'close() from inside the handler did not resolve');
        await expectNoMoreDeliveries(store, received, stream, 3);

        expect(received.map((e) => e.position)).toEqual([1, 2]);
      });

      it('delivers appends made through another instance over the same storage', async () => {
        const { other, closeOther } = await secondInstance();
        const received: StoredEvent[] = [];
        const subscription = store.subscribe(0, async (event) => void received.push(event));
        const batch = someEvents(3);

        await other.append(newStreamName(), batch, 0);
        await waitUntilReceived(received, 3);
        await subscription.close();
        await closeOther();

        expect(received.map((e) => e.id)).toEqual(batch.map((e) => e.id));
      });

      it('stops and tells onError when the handler throws', async () => {
        const stream = newStreamName();
        await store.append(stream, someEvents(3), 0);
        const handled: StoredEvent[] = [];
        const failure = new Error('projection failed');
        const errors: unknown[] = [];
        let subscription: EventSubscription | undefined;
        const stopped = new Promise<void>((resolve) => {
          subscription = store.subscribe(
            0,
            async (event) => {
              handled.push(event);
              if (event.position === 2) throw failure;
            },
            (error) => {
              errors.push(error);
              resolve();
            },
          );
        });

        await withTimeout(stopped, 'onError was not called');
        await store.append(stream, someEvents(1), 3);
        await new Promise((resolve) => setTimeout(resolve, 200));
        await subscription?.close();

        expect(errors).toEqual([failure]);
        expect(handled.map((e) => e.position)).toEqual([1, 2]);
      });
    });

    describe('checkpoints', () => {
      it('are 0 until saved, then hold the last saved position per reader', async () => {
        expect(await store.loadCheckpoint('projection-a')).toBe(0);

        await store.saveCheckpoint('projection-a', 5);
        await store.saveCheckpoint('projection-a', 9);
        await store.saveCheckpoint('projection-b', 2);

        expect(await store.loadCheckpoint('projection-a')).toBe(9);
        expect(await store.loadCheckpoint('projection-b')).toBe(2);
      });

      it('survive closing and reopening the store, as the events do', async () => {
        const stream = newStreamName();
        const batch = someEvents(3);
        await store.append(stream, batch, 0);
        await store.saveCheckpoint('outbox', 2);

        let reopened = store;
        if (opened.reopen) {
          await store.close();
          reopened = await opened.reopen();
        }

        try {
          expect(await reopened.loadCheckpoint('outbox')).toBe(2);
          expect(await reopened.streamVersion(stream)).toBe(3);
          expect((await readWholeStream(reopened, stream)).map((e) => e.id)).toEqual(batch.map((e) => e.id));
        } finally {
          if (reopened !== store) await reopened.close();
        }
      });
    });

    describe('stored fields', () => {
      it('give back data and metadata exactly as appended', async () => {
        const stream = newStreamName();
        const data = {
          text: 'grüße, 世界 "quoted" \n',
          count: 42,
          ratio: 0.25,
          flag: false,
          nothing: null,
          list: [1, 'two', { three: [3] }],
          annotations: { 'org.opencontainers.image.title': 'dotted key', $dollar: 'leading dollar' },
        };
        const metadata = { correlationId: randomUUID(), 'causation.id': 'c-1' };

        await store.append(stream, [{ id: randomUUID(), type: 'Tagged', data, metadata }], 0);
        await store.append(stream, [{ id: randomUUID(), type: 'Untagged', data: 'plain string' }], 1);

        const [withMetadata, without] = await readWholeStream(store, stream);
        expect(withMetadata.data).toEqual(data);
        expect(withMetadata.metadata).toEqual(metadata);
        expect(without.data).toBe('plain string');
        expect(without.metadata).toBeUndefined();
      });

      it('set recordedAt to the time of the append', async () => {
        const before = Date.now();
        await store.append(newStreamName(), someEvents(1), 0);
        const after = Date.now();

        const [event] = await store.readAll({ after: 0, limit: 1 });

        expect(event.recordedAt).toBeInstanceOf(Date);
        expect(event.recordedAt.getTime()).toBeGreaterThanOrEqual(before);
        expect(event.recordedAt.getTime()).toBeLessThanOrEqual(after);
      });
    });

    describe('a repository version with 200,000 units', () => {
      it('is appended as one batch of chunk events over 16 MiB and streamed back whole', async () => {
        const stream = newStreamName();
        const chunkCount = 40;
        const unitsPerChunk = 5_000;
        const chunks: NewEvent<UnitChunk>[] = [];
        let totalBytes = 0;
        for (let chunk = 0; chunk < chunkCount; chunk++) {
          const units = Array.from({ length: unitsPerChunk }, (_, i) => ({
            key: unitKey(chunk * unitsPerChunk + i),
            size: 1_000 + i,
          }));
          chunks.push({ id: randomUUID(), type: 'UnitsAdded', data: { version: 1, chunk, units } });
          totalBytes += Buffer.byteLength(JSON.stringify(chunks[chunk].data));
        }
        const commit: NewEvent = {
          id: randomUUID(),
          type: 'VersionCommitted',
          data: { version: 1, chunks: 40 },
        };
        // More than MongoDB's document limit: the version cannot be stored as one document.
        expect(totalBytes).toBeGreaterThan(16 * 1024 * 1024);

        await store.append(stream, [...chunks, commit], 0);

        const keys = new Set<string>();
        let last: StoredEvent | undefined;
        for await (const event of store.readStream(stream)) {
          if (event.type === 'UnitsAdded')
            for (const unit of (event.data as UnitChunk).units) keys.add(unit.key);
          last = event;
        }
        const missing: string[] = [];
        for (let i = 0; i < chunkCount * unitsPerChunk; i++)
          if (!keys.has(unitKey(i))) missing.push(unitKey(i));
        expect(missing).toEqual([]);
        expect(keys.size).toBe(200_000);
        expect(last).toMatchObject({ type: 'VersionCommitted', position: 41 });
      }, 60_000);
    });

    it('answers ping while open', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}

interface UnitChunk {
  readonly version: number;
  readonly chunk: number;
  readonly units: readonly { readonly key: string; readonly size: number }[];
}

function unitKey(index: number): string {
  return `manifest:sha256:${createHash('sha256').update(String(index)).digest('hex')}`;
}

function newStreamName(): string {
  return `repository-${randomUUID()}`;
}

function someEvents(count: number): NewEvent<{ index: number }>[] {
  return Array.from({ length: count }, (_, index) => ({
    id: randomUUID(),
    type: 'ThingHappened',
    data: { index },
  }));
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

function readWholeStream(store: EventStore, stream: string): Promise<StoredEvent[]> {
  return collect(store.readStream(stream));
}

function isStrictlyIncreasing(values: readonly number[]): boolean {
  return values.every((value, i) => i === 0 || value > values[i - 1]);
}

/**
 * Appends to `stream` (at `version`) and shows that a closed subscription, which collected `received`,
 * gets none of it while a fresh subscription does.
 */
async function expectNoMoreDeliveries(
  store: EventStore,
  received: readonly StoredEvent[],
  stream: string,
  version: number,
): Promise<void> {
  const before = received.length;
  const late = someEvents(2);
  await store.append(stream, late, version);
  const control: StoredEvent[] = [];
  const controlSubscription = store.subscribe(0, async (event) => {
    if (late.some((e) => e.id === event.id)) control.push(event);
  });
  await waitUntilReceived(control, 2);
  await new Promise((resolve) => setTimeout(resolve, 200));
  await controlSubscription.close();
  expect(received).toHaveLength(before);
}

async function waitUntilReceived(received: readonly StoredEvent[], count: number): Promise<void> {
  await vi.waitFor(() => expect(received).toHaveLength(count), {
    timeout: DELIVERY_TIMEOUT_MS,
    interval: 10,
  });
}

async function withTimeout(promise: Promise<void>, message: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${message} within ${DELIVERY_TIMEOUT_MS} ms`)),
      DELIVERY_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
