import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BusTimeoutError, RemoteError, type BusMessage, type MessageBus } from '@wharf/ports';

export interface OpenedMessageBus {
  /** A bus opened for one test. */
  readonly bus: MessageBus;
  /**
   * Another bus on the same broker, standing in for another process. The suite may call it several times
   * and may close what it returns.
   */
  readonly second: () => Promise<MessageBus>;
  /** Closes every bus opened for the test (some may already be closed) and releases the broker. */
  readonly cleanup: () => Promise<void>;
}

/** How long a delivery the test waits for may take; redelivery after a 500 ms ack wait fits easily. */
const DELIVERY_TIMEOUT_MS = 5_000;
/** Ack wait used where redelivery after a dead consumer is the point of the test. */
const SHORT_ACK_WAIT_MS = 500;
/** Quiet period after which a message that should not arrive is taken as not arriving. */
const SETTLE_MS = 300;

/**
 * The behaviour every MessageBus adapter must show (libs/ports/src/message-bus.port.ts). `open` is called
 * once per test. Each test works under its own subjects and subscriber names, so adapters may share one
 * broker between tests.
 */
export function messageBusContract(adapterName: string, open: () => Promise<OpenedMessageBus>): void {
  describe(`MessageBus contract: ${adapterName}`, () => {
    let opened: OpenedMessageBus;
    let bus: MessageBus;

    beforeEach(async () => {
      opened = await open();
      bus = opened.bus;
    });

    afterEach(async () => {
      await opened.cleanup();
    });

    describe('commands', () => {
      it('gives each command to exactly one of two competing consumers, and both get work', async () => {
        const subject = `${newScope()}.repository.sync`;
        const handlers = new Map<string, string[]>();
        const recordAs = (consumer: string) => async (message: BusMessage) => {
          handlers.set(message.id, [...(handlers.get(message.id) ?? []), consumer]);
          await sleep(20);
        };
        const other = await opened.second();
        await bus.consumeCommands(subject, recordAs('first'));
        await other.consumeCommands(subject, recordAs('second'));

        const ids = Array.from({ length: 20 }, () => randomUUID());
        for (const id of ids) await bus.sendCommand(subject, { id, data: { id } });
        await waitUntil(() => handlers.size === ids.length, 'all commands handled');
        await sleep(SETTLE_MS);

        expect([...handlers.keys()].sort()).toEqual([...ids].sort());
        expect([...handlers.values()].every((consumers) => consumers.length === 1)).toBe(true);
        expect(new Set([...handlers.values()].flat())).toEqual(new Set(['first', 'second']));
      });

      it('delivers a command again with deliveryCount 2 when its handler throws, then stops', async () => {
        const subject = `${newScope()}.repository.sync`;
        const deliveries: BusMessage<{ repository: string }>[] = [];
        await bus.consumeCommands<{ repository: string }>(subject, async (message) => {
          deliveries.push(message);
          if (deliveries.length === 1) throw new Error('upstream registry unavailable');
        });

        const id = randomUUID();
        await bus.sendCommand(subject, { id, data: { repository: 'library/alpine' } });
        await waitUntil(() => deliveries.length === 2, 'redelivery after a failed handler');
        await sleep(SETTLE_MS);

        expect(deliveries.map((d) => d.deliveryCount)).toEqual([1, 2]);
        expect(deliveries.map((d) => d.id)).toEqual([id, id]);
        expect(deliveries.map((d) => d.subject)).toEqual([subject, subject]);
        expect(deliveries[1]!.data).toEqual({ repository: 'library/alpine' });
      });

      it('redelivers to another consumer a command whose handler never settles, after ackWaitMs', async () => {
        const subject = `${newScope()}.repository.sync`;
        const stuck: BusMessage[] = [];
        const rescued: BusMessage[] = [];
        await bus.consumeCommands(
          subject,
          async (message) => {
            stuck.push(message);
            await new Promise(() => undefined);
          },
          { ackWaitMs: SHORT_ACK_WAIT_MS },
        );
        const id = randomUUID();
        await bus.sendCommand(subject, { id, data: {} });
        await waitUntil(() => stuck.length === 1, 'first delivery');

        const other = await opened.second();
        await other.consumeCommands(subject, async (message) => void rescued.push(message), {
          ackWaitMs: SHORT_ACK_WAIT_MS,
        });
        await waitUntil(() => rescued.length === 1, 'redelivery to the other consumer');

        expect(rescued[0]).toMatchObject({ id, deliveryCount: 2 });
        expect(stuck).toHaveLength(1);
      });

      it('keeps a command with a handler that says it is working, past several ack waits', async () => {
        const subject = `${newScope()}.repository.sync`;
        const deliveries: BusMessage[] = [];
        const done = deferred();
        await bus.consumeCommands(
          subject,
          async (message) => {
            deliveries.push(message);
            if (deliveries.length > 1) return;
            for (let waited = 0; waited < 4 * SHORT_ACK_WAIT_MS; waited += SHORT_ACK_WAIT_MS / 4) {
              await message.working();
              await sleep(SHORT_ACK_WAIT_MS / 4);
            }
            done.resolve();
          },
          { ackWaitMs: SHORT_ACK_WAIT_MS, concurrency: 2 },
        );
        const other = await opened.second();
        await other.consumeCommands(subject, async (message) => void deliveries.push(message), {
          ackWaitMs: SHORT_ACK_WAIT_MS,
        });
        await bus.sendCommand(subject, { id: randomUUID(), data: {} });
        await done.promise;
        await sleep(SHORT_ACK_WAIT_MS + SETTLE_MS);

        expect(deliveries.map((d) => d.deliveryCount)).toEqual([1]);
      });

      it('redelivers to another consumer a command whose consumer closed without acknowledging', async () => {
        const subject = `${newScope()}.repository.sync`;
        const dying = await opened.second();
        const received: BusMessage[] = [];
        await dying.consumeCommands(
          subject,
          async (message) => {
            received.push(message);
            await new Promise(() => undefined);
          },
          { ackWaitMs: SHORT_ACK_WAIT_MS },
        );
        const id = randomUUID();
        await bus.sendCommand(subject, { id, data: {} });
        await waitUntil(() => received.length === 1, 'first delivery');

        await dying.close();
        const survivor: BusMessage[] = [];
        await bus.consumeCommands(subject, async (message) => void survivor.push(message), {
          ackWaitMs: SHORT_ACK_WAIT_MS,
        });
        await waitUntil(() => survivor.length === 1, 'redelivery to the surviving consumer');

        expect(survivor[0]).toMatchObject({ id, deliveryCount: 2 });
      });

      it('keeps commands sent while no consumer runs and delivers them when one starts', async () => {
        const subject = `${newScope()}.upload.finish`;
        const ids = [randomUUID(), randomUUID(), randomUUID()];
        for (const id of ids) await bus.sendCommand(subject, { id, data: { id } });

        const other = await opened.second();
        const handled: BusMessage<{ id: string }>[] = [];
        await other.consumeCommands<{ id: string }>(subject, async (message) => void handled.push(message));
        await waitUntil(() => handled.length === ids.length, 'the backlog');

        expect(handled.map((m) => m.id).sort()).toEqual([...ids].sort());
        expect(handled.every((m) => m.data.id === m.id && m.deliveryCount === 1)).toBe(true);
      });

      it('runs at most `concurrency` handlers of one consumer at once', async () => {
        const subject = `${newScope()}.blob.verify`;
        const release = deferred();
        let running = 0;
        let peak = 0;
        let done = 0;
        await bus.consumeCommands(
          subject,
          async () => {
            running++;
            peak = Math.max(peak, running);
            await release.promise;
            running--;
            done++;
          },
          { concurrency: 3 },
        );

        for (let i = 0; i < 6; i++) await bus.sendCommand(subject, { id: randomUUID(), data: i });
        await waitUntil(() => running === 3, 'three handlers running');
        await sleep(SETTLE_MS);
        expect(running).toBe(3);

        release.resolve();
        await waitUntil(() => done === 6, 'all commands handled');
        expect(peak).toBe(3);
      });

      it('runs one handler at a time when no concurrency is given', async () => {
        const subject = `${newScope()}.blob.verify`;
        let running = 0;
        let peak = 0;
        let done = 0;
        await bus.consumeCommands(subject, async () => {
          running++;
          peak = Math.max(peak, running);
          await sleep(30);
          running--;
          done++;
        });

        for (let i = 0; i < 4; i++) await bus.sendCommand(subject, { id: randomUUID(), data: i });
        await waitUntil(() => done === 4, 'all commands handled');

        expect(peak).toBe(1);
      });

      it('stores a command sent twice with the same id once', async () => {
        const subject = `${newScope()}.repository.sync`;
        const handled: BusMessage<string>[] = [];
        await bus.consumeCommands<string>(subject, async (message) => void handled.push(message));

        const id = randomUUID();
        const marker = randomUUID();
        await bus.sendCommand(subject, { id, data: 'first' });
        await bus.sendCommand(subject, { id, data: 'retry of the first' });
        await bus.sendCommand(subject, { id: marker, data: 'marker' });
        await waitUntil(() => handled.some((m) => m.id === marker), 'the marker command');

        expect(handled.map((m) => [m.id, m.data])).toEqual([
          [id, 'first'],
          [marker, 'marker'],
        ]);
      });

      it('stops delivering to a consumer once it is closed', async () => {
        const subject = `${newScope()}.repository.sync`;
        const closedOnes: BusMessage[] = [];
        const openOnes: BusMessage[] = [];
        const closing = await bus.consumeCommands(subject, async (message) => void closedOnes.push(message));
        await bus.consumeCommands(subject, async (message) => void openOnes.push(message));
        await closing.close();

        for (let i = 0; i < 5; i++) await bus.sendCommand(subject, { id: randomUUID(), data: i });
        await waitUntil(() => openOnes.length === 5, 'commands at the open consumer');

        expect(closedOnes).toHaveLength(0);
      });

      it('refuses a wildcard command subject, as a work queue needs one owner per subject', async () => {
        await expect(bus.consumeCommands(`${newScope()}.>`, async () => undefined)).rejects.toThrow(
          /wildcard/,
        );
      });
    });

    describe('events', () => {
      it('fans every event out to every named subscriber, in publish order', async () => {
        const scope = newScope();
        const auditSeen: string[] = [];
        const indexSeen: string[] = [];
        const other = await opened.second();
        await bus.subscribeEvents(newName('audit'), `${scope}.>`, async (m) => void auditSeen.push(m.id));
        await other.subscribeEvents(newName('index'), `${scope}.>`, async (m) => void indexSeen.push(m.id));

        const ids = Array.from({ length: 5 }, () => randomUUID());
        for (const id of ids) await bus.publishEvent(`${scope}.repository.created`, { id, data: { id } });
        await waitUntil(() => auditSeen.length === 5 && indexSeen.length === 5, 'both subscribers');

        expect(auditSeen).toEqual(ids);
        expect(indexSeen).toEqual(ids);
      });

      it('gives a subscriber that was offline what it missed, and not again what it had acknowledged', async () => {
        const scope = newScope();
        const name = newName('audit');
        const before: string[] = [];
        const subscription = await bus.subscribeEvents(
          name,
          `${scope}.>`,
          async (m) => void before.push(m.id),
        );
        const acknowledged = randomUUID();
        await bus.publishEvent(`${scope}.tag.added`, { id: acknowledged, data: {} });
        await waitUntil(() => before.length === 1, 'the first event');
        await subscription.close();

        const other = await opened.second();
        const missed = [randomUUID(), randomUUID()];
        for (const id of missed) await other.publishEvent(`${scope}.tag.added`, { id, data: {} });
        const after: BusMessage[] = [];
        await other.subscribeEvents(name, `${scope}.>`, async (m) => void after.push(m));
        await waitUntil(() => after.length === 2, 'the missed events');
        await sleep(SETTLE_MS);

        expect(after.map((m) => m.id)).toEqual(missed);
        expect(after.every((m) => m.deliveryCount === 1)).toBe(true);
      });

      it('keeps order for a subscriber whose handler throws: the failed event comes again before the next', async () => {
        const scope = newScope();
        const seen: string[] = [];
        await bus.subscribeEvents<{ n: number }>(newName('projection'), `${scope}.>`, async (m) => {
          if (m.data.n === 3 && m.deliveryCount === 1) {
            seen.push('3 failed');
            throw new Error('read model busy');
          }
          seen.push(`${m.data.n}#${m.deliveryCount}`);
        });

        for (let n = 1; n <= 6; n++) {
          await bus.publishEvent(`${scope}.unit.added`, { id: randomUUID(), data: { n } });
        }
        await waitUntil(() => seen.length === 7, 'all events');

        expect(seen).toEqual(['1#1', '2#1', '3 failed', '3#2', '4#1', '5#1', '6#1']);
      });

      it('stores an event published twice with the same id once', async () => {
        const scope = newScope();
        const seen: BusMessage<string>[] = [];
        await bus.subscribeEvents<string>(newName('audit'), `${scope}.>`, async (m) => void seen.push(m));

        const id = randomUUID();
        const marker = randomUUID();
        await bus.publishEvent(`${scope}.version.created`, { id, data: 'first' });
        const other = await opened.second();
        await other.publishEvent(`${scope}.version.created`, { id, data: 'relayed again' });
        await bus.publishEvent(`${scope}.version.created`, { id: marker, data: 'marker' });
        await waitUntil(() => seen.some((m) => m.id === marker), 'the marker event');

        expect(seen.map((m) => [m.id, m.data])).toEqual([
          [id, 'first'],
          [marker, 'marker'],
        ]);
      });

      it('delivers through a `>` filter only the subjects below it, under their own subject', async () => {
        const scope = newScope();
        const subjects: string[] = [];
        await bus.subscribeEvents(newName('content'), `${scope}.content.>`, async (m) => {
          subjects.push(m.subject);
        });

        for (const subject of [
          `${scope}.content`,
          `${scope}.content.unit.added`,
          `${scope}.upload.finished`,
          `${scope}.content.tag`,
          `${scope}.contents.unit.added`,
          `${scope}.content.end`,
        ]) {
          await bus.publishEvent(subject, { id: randomUUID(), data: {} });
        }
        await waitUntil(() => subjects.includes(`${scope}.content.end`), 'the last matching event');

        expect(subjects).toEqual([
          `${scope}.content.unit.added`,
          `${scope}.content.tag`,
          `${scope}.content.end`,
        ]);
      });

      it('refuses to move an existing subscriber to another filter', async () => {
        const scope = newScope();
        const name = newName('audit');
        await bus.subscribeEvents(name, `${scope}.a.>`, async () => undefined);

        await expect(bus.subscribeEvents(name, `${scope}.b.>`, async () => undefined)).rejects.toThrow(name);
      });
    });

    describe('requests', () => {
      it("returns the handler's reply to the caller in another process", async () => {
        const subject = `${newScope()}.repository.get`;
        await bus.handleRequests<{ a: number; b: number }, { sum: number }>(subject, async ({ a, b }) => ({
          sum: a + b,
        }));

        const other = await opened.second();
        await expect(other.request(subject, { a: 2, b: 3 })).resolves.toEqual({ sum: 5 });
      });

      it('has each request answered by one of several handlers', async () => {
        const subject = `${newScope()}.repository.get`;
        const calls = { first: 0, second: 0 };
        const other = await opened.second();
        await bus.handleRequests(subject, async (n: number) => (calls.first++, n));
        await other.handleRequests(subject, async (n: number) => (calls.second++, n));

        const replies = [];
        for (let n = 0; n < 20; n++) replies.push(await bus.request<number, number>(subject, n));

        expect(replies).toEqual(Array.from({ length: 20 }, (_, n) => n));
        expect(calls.first + calls.second).toBe(20);
        expect(calls.first).toBeGreaterThan(0);
        expect(calls.second).toBeGreaterThan(0);
      });

      it('rejects with BusTimeoutError within the timeout when no handler runs', async () => {
        const subject = `${newScope()}.repository.get`;
        const started = Date.now();

        const error = await bus.request(subject, {}, { timeoutMs: 300 }).catch((e: unknown) => e);

        expect(error).toBeInstanceOf(BusTimeoutError);
        expect((error as BusTimeoutError).subject).toBe(subject);
        // No one got it, so callers may send it again (a restarting service's request is retried).
        expect((error as BusTimeoutError).noResponders).toBe(true);
        expect(Date.now() - started).toBeLessThan(1_300);
      });

      it('rejects with BusTimeoutError when the handler is slower than the timeout', async () => {
        const subject = `${newScope()}.repository.get`;
        await bus.handleRequests(subject, async () => sleep(2_000));
        const started = Date.now();

        const error = await bus.request(subject, {}, { timeoutMs: 200 }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BusTimeoutError);
        // The handler has it and may act on it: sending it again is not known to be safe.
        expect((error as BusTimeoutError).noResponders).toBe(false);
        expect(Date.now() - started).toBeLessThan(1_500);
      });

      it("rejects with RemoteError carrying the handler error's name, message and details", async () => {
        const subject = `${newScope()}.repository.get`;
        await bus.handleRequests(subject, async (name: string) => {
          if (name === 'plain') throw new TypeError('name must not be plain');
          throw new QuotaExceededError({ limit: 10, used: 12 });
        });

        const other = await opened.second();
        const detailed = await other.request(subject, 'big').catch((e: unknown) => e);
        const plain = await other.request(subject, 'plain').catch((e: unknown) => e);

        expect(detailed).toBeInstanceOf(RemoteError);
        expect(detailed).toMatchObject({
          remoteName: 'QuotaExceededError',
          message: 'repository is over its quota',
          details: { limit: 10, used: 12 },
        });
        expect(plain).toBeInstanceOf(RemoteError);
        expect(plain).toMatchObject({ remoteName: 'TypeError', message: 'name must not be plain' });
        expect((plain as RemoteError).details).toBeUndefined();
      });
    });

    describe('headers', () => {
      const headers = { 'Correlation-Id': 'c0ffee', 'X-Wharf-Tenant': 'team-a' };

      it('travel with commands', async () => {
        const subject = `${newScope()}.repository.sync`;
        const received: BusMessage[] = [];
        await bus.consumeCommands(subject, async (m) => void received.push(m));
        await bus.sendCommand(subject, { id: randomUUID(), data: {}, headers });
        await waitUntil(() => received.length === 1, 'the command');

        expect(received[0]!.headers).toEqual(headers);
      });

      it('travel with events', async () => {
        const scope = newScope();
        const received: BusMessage[] = [];
        await bus.subscribeEvents(newName('audit'), `${scope}.>`, async (m) => void received.push(m));
        await bus.publishEvent(`${scope}.tag.added`, { id: randomUUID(), data: {}, headers });
        await waitUntil(() => received.length === 1, 'the event');

        expect(received[0]!.headers).toEqual(headers);
      });

      it('travel with requests', async () => {
        const subject = `${newScope()}.repository.get`;
        await bus.handleRequests(subject, async (_data: unknown, received) => received);

        await expect(bus.request(subject, {}, { headers })).resolves.toEqual(headers);
      });
    });

    describe('lifecycle', () => {
      it('answers ping while open, and refuses work once closed while other instances go on', async () => {
        const other = await opened.second();
        await expect(other.ping()).resolves.toBeUndefined();

        await other.close();
        await other.close();

        await expect(other.ping()).rejects.toThrow();
        await expect(other.sendCommand(`${newScope()}.x`, { id: randomUUID(), data: {} })).rejects.toThrow();
        await expect(bus.ping()).resolves.toBeUndefined();
      });
    });
  });
}

class QuotaExceededError extends Error {
  override readonly name = 'QuotaExceededError';

  constructor(readonly details: unknown) {
    super('repository is over its quota');
  }
}

/** A subject prefix no other test uses, so tests can share a broker. */
function newScope(): string {
  return `t${randomUUID().slice(0, 8)}`;
}

function newName(role: string): string {
  return `${role}-${randomUUID().slice(0, 8)}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${DELIVERY_TIMEOUT_MS} ms waiting for ${what}`);
    await sleep(10);
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
