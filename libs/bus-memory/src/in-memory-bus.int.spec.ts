import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { BusMessage, MessageBus } from '@wharf/ports';
import { messageBusContract } from '@wharf/testing';
import { InMemoryBroker, InMemoryBus } from './index.js';

messageBusContract('InMemoryBus', async () => {
  const broker = new InMemoryBroker();
  const handles: MessageBus[] = [new InMemoryBus(broker)];
  return {
    bus: handles[0]!,
    second: async () => {
      const handle = new InMemoryBus(broker);
      handles.push(handle);
      return handle;
    },
    cleanup: async () => {
      await Promise.all(handles.map((handle) => handle.close()));
    },
  };
});

describe('InMemoryBus handles on one broker', () => {
  it("detach only their own consumers on close: another service's subscriber keeps receiving", async () => {
    const broker = new InMemoryBroker();
    const content = new InMemoryBus(broker);
    const audit = new InMemoryBus(broker);
    const contentSeen: string[] = [];
    const auditSeen: string[] = [];
    await content.subscribeEvents('content', 'repo.>', async (m) => void contentSeen.push(m.id));
    await audit.subscribeEvents('audit', 'repo.>', async (m) => void auditSeen.push(m.id));

    await content.close();
    await audit.publishEvent('repo.created', { id: 'e1', data: {} });
    await waitUntil(() => auditSeen.length === 1);

    expect(contentSeen).toEqual([]);
    expect(auditSeen).toEqual(['e1']);
  });

  it('hand each receiver its own copy of the payload, shaped as JSON would carry it', async () => {
    const bus = new InMemoryBus(new InMemoryBroker());
    const received: BusMessage<{ at: unknown; tags: string[] }>[] = [];
    await bus.subscribeEvents<{ at: unknown; tags: string[] }>('a', 'x.>', async (m) => {
      received.push(m);
      m.data.tags.push('changed by a');
    });
    await bus.subscribeEvents<{ at: unknown; tags: string[] }>(
      'b',
      'x.>',
      async (m) => void received.push(m),
    );

    const data = { at: new Date('2026-01-02T03:04:05Z'), tags: ['latest'] };
    await bus.publishEvent('x.tagged', { id: 'e1', data });
    await waitUntil(() => received.length === 2);

    expect(received.find((m) => m.data.tags.length === 1)!.data).toEqual({
      at: '2026-01-02T03:04:05.000Z',
      tags: ['latest'],
    });
    expect(data.tags).toEqual(['latest']);
  });
});

describe('InMemoryBroker memory bounds', () => {
  it('drops events once every known subscriber has acknowledged them', async () => {
    const broker = new InMemoryBroker();
    const bus = new InMemoryBus(broker);
    let seen = 0;
    await bus.subscribeEvents('audit', 'repo.>', async () => void seen++);
    await bus.subscribeEvents('search', 'repo.>', async () => void seen++);

    for (let i = 0; i < 500; i++) await bus.publishEvent('repo.created', { id: randomUUID(), data: i });
    await waitUntil(() => seen === 1_000);

    // The last acknowledgement lands just after the handler returns.
    await waitUntil(() => broker.stats().events === 0);
  });

  it('keeps events for a subscriber that is offline until it has caught up', async () => {
    const broker = new InMemoryBroker();
    const bus = new InMemoryBus(broker);
    const subscription = await bus.subscribeEvents('audit', 'repo.>', async () => undefined);
    await subscription.close();
    for (let i = 0; i < 10; i++) await bus.publishEvent('repo.created', { id: randomUUID(), data: i });
    expect(broker.stats().events).toBe(10);

    let seen = 0;
    await bus.subscribeEvents('audit', 'repo.>', async () => void seen++);
    await waitUntil(() => seen === 10);

    await waitUntil(() => broker.stats().events === 0);
  });

  it('does not hold events that no known subscriber wants', async () => {
    const broker = new InMemoryBroker();
    const bus = new InMemoryBus(broker);
    await bus.subscribeEvents('audit', 'repo.>', async () => undefined);

    for (let i = 0; i < 10; i++) await bus.publishEvent('upload.finished', { id: randomUUID(), data: i });

    expect(broker.stats().events).toBe(0);
  });

  it('keeps events published before the first subscriber starts, for it to read', async () => {
    const broker = new InMemoryBroker();
    const bus = new InMemoryBus(broker);
    await bus.publishEvent('repo.created', { id: 'early', data: {} });

    const seen: string[] = [];
    await bus.subscribeEvents('audit', 'repo.>', async (m) => void seen.push(m.id));
    await waitUntil(() => seen.length === 1);

    expect(seen).toEqual(['early']);
  });

  it('drops the oldest events beyond eventsMaxCount even if a subscriber is behind', async () => {
    const broker = new InMemoryBroker({ eventsMaxCount: 5 });
    const bus = new InMemoryBus(broker);
    const subscription = await bus.subscribeEvents('audit', 'repo.>', async () => undefined);
    await subscription.close();

    for (let i = 0; i < 8; i++) await bus.publishEvent('repo.created', { id: `e${i}`, data: i });
    const seen: string[] = [];
    await bus.subscribeEvents('audit', 'repo.>', async (m) => void seen.push(m.id));
    await waitUntil(() => seen.length === 5);

    expect(seen).toEqual(['e3', 'e4', 'e5', 'e6', 'e7']);
  });

  it('drops events older than eventsMaxAgeMs even if a subscriber is behind', async () => {
    const broker = new InMemoryBroker({ eventsMaxAgeMs: 50, duplicateWindowMs: 50 });
    const bus = new InMemoryBus(broker);
    const subscription = await bus.subscribeEvents('audit', 'repo.>', async () => undefined);
    await subscription.close();
    await bus.publishEvent('repo.created', { id: 'old', data: {} });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await bus.publishEvent('repo.created', { id: 'new', data: {} });

    const seen: string[] = [];
    await bus.subscribeEvents('audit', 'repo.>', async (m) => void seen.push(m.id));
    await waitUntil(() => seen.length === 1);

    expect(seen).toEqual(['new']);
    expect(broker.stats().events).toBeLessThanOrEqual(1);
  });

  it('forgets acknowledged commands', async () => {
    const broker = new InMemoryBroker();
    const bus = new InMemoryBus(broker);
    await bus.sendCommand('repo.sync', { id: 'c1', data: {} });
    expect(broker.stats().commands).toBe(1);

    let handled = 0;
    await bus.consumeCommands('repo.sync', async () => void handled++);
    await waitUntil(() => handled === 1);

    await waitUntil(() => broker.stats().commands === 0);
  });
});

async function waitUntil(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
