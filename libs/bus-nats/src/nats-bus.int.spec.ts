import { randomUUID } from 'node:crypto';
import { createServer, connect as connectTcp, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { MessageBus } from '@wharf/ports';
import { freePort, messageBusContract } from '@wharf/testing';
import { NatsBus, natsConnectionOptions, natsStreamNames } from './index.js';

const servers = natsUrl();
const prefixes: string[] = [];

/** A stream prefix of its own, so this file's streams never meet those of test files running alongside. */
function newPrefix(): string {
  const prefix = `test-${randomUUID().slice(0, 8)}`;
  prefixes.push(prefix);
  return prefix;
}

afterAll(async () => {
  const nc = await connect({ servers });
  const jsm = await jetstreamManager(nc);
  for (const prefix of prefixes) {
    for (const stream of Object.values(natsStreamNames(prefix)))
      await jsm.streams.delete(stream).catch(() => false);
  }
  await nc.close();
});

messageBusContract('NatsBus', async () => {
  const streamPrefix = newPrefix();
  const open = () => NatsBus.connect({ servers, name: 'contract', streamPrefix, duplicateWindowMs: 30_000 });
  const buses: MessageBus[] = [await open()];
  return {
    bus: buses[0]!,
    second: async () => {
      const bus = await open();
      buses.push(bus);
      return bus;
    },
    cleanup: async () => {
      await Promise.all(buses.map((bus) => bus.close()));
    },
  };
});

describe('NatsBus connection', () => {
  it('reconnects without limit, so a NATS outage is survived rather than fatal', () => {
    expect(natsConnectionOptions({ servers, name: 'sync' })).toMatchObject({
      servers,
      name: 'sync',
      maxReconnectAttempts: -1,
    });
  });

  it('fails to connect with an error naming the server when nothing listens there', async () => {
    const nowhere = `nats://127.0.0.1:${await freePort()}`;

    await expect(
      NatsBus.connect({ servers: nowhere, name: 'sync', streamPrefix: newPrefix() }),
    ).rejects.toThrow(nowhere);
  });

  it('creates its streams under the prefix with the configured limits', async () => {
    const streamPrefix = newPrefix();
    const bus = await NatsBus.connect({
      servers,
      name: 'content',
      streamPrefix,
      eventsMaxAgeMs: 3_600_000,
      duplicateWindowMs: 60_000,
    });
    await bus.close();

    const nc = await connect({ servers });
    const jsm = await jetstreamManager(nc);
    const names = natsStreamNames(streamPrefix);
    const commands = await jsm.streams.info(names.commands);
    const events = await jsm.streams.info(names.events);
    await nc.close();

    expect(commands.config).toMatchObject({ retention: 'workqueue', subjects: [`${streamPrefix}.cmd.>`] });
    expect(events.config).toMatchObject({
      retention: 'limits',
      subjects: [`${streamPrefix}.evt.>`],
      max_age: 3_600_000 * 1e6,
      duplicate_window: 60_000 * 1e6,
    });
  });

  it('updates the limits of existing streams when a process starts with new ones', async () => {
    const streamPrefix = newPrefix();
    await (await NatsBus.connect({ servers, name: 'a', streamPrefix, eventsMaxAgeMs: 3_600_000 })).close();
    await (await NatsBus.connect({ servers, name: 'b', streamPrefix, eventsMaxAgeMs: 7_200_000 })).close();

    const nc = await connect({ servers });
    const events = await (await jetstreamManager(nc)).streams.info(natsStreamNames(streamPrefix).events);
    await nc.close();

    expect(events.config.max_age).toBe(7_200_000 * 1e6);
  });

  it('drains on close: a command sent just before close is stored, and the bus refuses work after', async () => {
    const streamPrefix = newPrefix();
    const sender = await NatsBus.connect({ servers, name: 'gateway', streamPrefix });
    await sender.sendCommand('repository.sync', { id: 'c1', data: { repository: 'alpine' } });
    await sender.close();

    await expect(sender.sendCommand('repository.sync', { id: 'c2', data: {} })).rejects.toThrow(/closed/);
    const worker = await NatsBus.connect({ servers, name: 'sync', streamPrefix });
    const received: string[] = [];
    await worker.consumeCommands('repository.sync', async (m) => void received.push(m.id));
    await expect.poll(() => received, { timeout: 5_000 }).toEqual(['c1']);
    await worker.close();
  });
});

describe('NatsBus across a NATS outage', () => {
  it('keeps consuming commands and events and answering requests once the connection comes back', async () => {
    const proxy = await TcpProxy.start(new URL(servers).port);
    const streamPrefix = newPrefix();
    const bus = await NatsBus.connect({ servers: proxy.url, name: 'audit', streamPrefix });
    const commands: string[] = [];
    const events: string[] = [];
    await bus.consumeCommands('repository.sync', async (m) => void commands.push(m.id));
    await bus.subscribeEvents('audit', 'repository.>', async (m) => void events.push(m.id));
    await bus.handleRequests('repository.get', async (n: number) => n * 2);
    const publisher = await NatsBus.connect({ servers, name: 'content', streamPrefix });

    await publisher.sendCommand('repository.sync', { id: 'before', data: {} });
    await publisher.publishEvent('repository.created', { id: 'before', data: {} });
    await expect.poll(() => [commands, events], { timeout: 5_000 }).toEqual([['before'], ['before']]);

    await proxy.outage(1_000);
    await publisher.sendCommand('repository.sync', { id: 'during', data: {} });
    await publisher.publishEvent('repository.created', { id: 'during', data: {} });

    await expect
      .poll(() => [commands, events], { timeout: 20_000 })
      .toEqual([
        ['before', 'during'],
        ['before', 'during'],
      ]);
    await expect(publisher.request('repository.get', 21)).resolves.toBe(42);
    await bus.ping();
    expect(proxy.accepted).toBe(2);
    await Promise.all([bus.close(), publisher.close()]);
    await proxy.close();
  });
});

/** Sits between the bus and NATS so a test can cut the connection the way a network outage would. */
class TcpProxy {
  private readonly server: Server = createServer((client) => this.accept(client));
  private readonly sockets = new Set<Socket>();
  private refusing = false;
  /** Client connections let through, the first one included. */
  accepted = 0;

  private constructor(
    private readonly targetPort: number,
    private readonly port: number,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  static async start(targetPort: string): Promise<TcpProxy> {
    const proxy = new TcpProxy(Number(targetPort), await freePort());
    await new Promise<void>((resolve) => proxy.server.listen(proxy.port, '127.0.0.1', resolve));
    return proxy;
  }

  /** Cuts every open connection and refuses new ones for `ms`. */
  async outage(ms: number): Promise<void> {
    this.refusing = true;
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, ms));
    this.refusing = false;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(client: Socket): void {
    if (this.refusing) return void client.destroy();
    this.accepted++;
    const upstream = connectTcp(this.targetPort, '127.0.0.1');
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(from);
      from.pipe(to);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        this.sockets.delete(from);
        to.destroy();
      });
    }
  }
}

function natsUrl(): string {
  const url = process.env.NATS_URL;
  if (!url)
    throw new Error('NATS_URL is not set; run the tests through vitest so the global setup starts NATS');
  return url;
}
