import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { NatsBus } from '@wharf/bus-nats';
import type { BusConsumer } from '@wharf/ports';
import { createProcessApplication, loadSettings, Queries, runInContext, withOperation } from '@wharf/runtime';
import { AuditModule } from '@wharf/service-audit';
import { ContentModule } from '@wharf/service-content';
import { TasksModule } from '@wharf/service-tasks';
import { freePort } from '@wharf/testing';
import { eventually } from './wharf-deployments.js';

interface CloudEvent {
  specversion: string;
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: string;
  actor?: string;
  repository?: string;
  data: { name?: string };
}

/** A webhook receiver on a real port: refuses as told, checks signatures, remembers what it accepted. */
class WebhookReceiver {
  accepted: CloudEvent[] = [];
  refused = 0;
  failNext = 0;
  badSignatures = 0;
  private server?: Server;

  constructor(
    readonly port: number,
    private readonly secret: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/wharf?token=abc`;
  }

  async start(): Promise<void> {
    const server = createServer((request, response) => void this.receive(request, response));
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async receive(request: IncomingMessage, response: import('node:http').ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    if (this.failNext > 0) {
      this.failNext--;
      this.refused++;
      response.writeHead(503).end();
      return;
    }
    const timestamp = request.headers['wharf-timestamp'] as string;
    const expected = `sha256=${createHmac('sha256', this.secret).update(`${timestamp}.${body}`).digest('hex')}`;
    if (
      request.headers['wharf-signature-256'] !== expected ||
      request.headers['content-type'] !== 'application/cloudevents+json'
    ) {
      this.badSignatures++;
      response.writeHead(401).end();
      return;
    }
    this.accepted.push(JSON.parse(body) as CloudEvent);
    response.writeHead(204).end();
  }
}

/**
 * External subscribers of the audit log, with the real nats-server: a webhook (a real HTTP server in the
 * test) and a durable NATS consumer of the CloudEvents subjects. Both miss nothing and see each event once
 * by id, even when they, and the audit service, were away while events happened.
 */
describe('audit subscribers: CloudEvents on NATS and signed webhooks', () => {
  const secret = randomBytes(16).toString('hex');
  const prefix = `wharf${randomBytes(4).toString('hex')}`;
  let dataDir: string;
  let receiver: WebhookReceiver;
  let app: INestApplication | undefined;
  let external: NatsBus;
  let externalConsumer: BusConsumer | undefined;
  const onNats: CloudEvent[] = [];

  const env = () => ({
    WHARF_DATA_DIR: dataDir,
    WHARF_BUS: 'nats',
    NATS_URL: process.env.NATS_URL!,
    WHARF_NATS_STREAM_PREFIX: prefix,
    WHARF_AUDIT_WEBHOOKS: receiver.url,
    WHARF_AUDIT_WEBHOOK_SECRET: secret,
  });

  async function startWharf(): Promise<void> {
    const settings = loadSettings(env(), {
      bus: 'nats',
      eventStore: 'sqlite',
      blobStore: 'fs',
      httpPortVariable: 'X',
      httpPort: 0,
    });
    app = await createProcessApplication('wharf', settings, [TasksModule, ContentModule, AuditModule], false);
    await app.init();
  }

  async function stopWharf(): Promise<void> {
    await app?.close();
    app = undefined;
  }

  async function subscribeExternally(): Promise<void> {
    externalConsumer = await external.subscribeEvents<CloudEvent>('external', 'cloudevents.>', async (m) => {
      onNats.push(m.data);
    });
  }

  const createRepository = (name: string, actor: string) =>
    runInContext(withOperation({ actor }), () =>
      app!.get(Queries).ask('content.repository.create', { name }),
    );

  const ids = (events: readonly CloudEvent[]) => events.map((e) => e.id);
  const named = (events: readonly CloudEvent[], name: string) =>
    events.filter((e) => e.type === 'io.wharf.RepositoryCreated' && e.data.name === name);

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-audit-'));
    receiver = new WebhookReceiver(await freePort(), secret);
    await receiver.start();
    external = await NatsBus.connect({
      servers: process.env.NATS_URL!,
      name: 'external',
      streamPrefix: prefix,
    });
    await subscribeExternally();
    await startWharf();
  }, 60_000);

  afterAll(async () => {
    await stopWharf();
    await externalConsumer?.close();
    await external?.close();
    await receiver?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('delivers signed CloudEvents by webhook, again after the receiver failed, and on NATS', async () => {
    receiver.failNext = 2;
    const repository = await createRepository('hooked', 'alice');
    const delivered = await eventually(
      'the webhook to accept RepositoryCreated of hooked',
      async () => named(receiver.accepted, 'hooked')[0],
    );
    expect(receiver.refused).toBe(2);
    expect(receiver.badSignatures).toBe(0);
    expect(delivered).toMatchObject({
      specversion: '1.0',
      type: 'io.wharf.RepositoryCreated',
      source: '/wharf/repository',
      subject: `repository-${repository.id}`,
      datacontenttype: 'application/json',
      actor: 'alice',
      repository: repository.id,
    });
    expect(Date.parse(delivered.time)).not.toBeNaN();

    const published = await eventually('the CloudEvent on NATS', async () => named(onNats, 'hooked')[0]);
    expect(published).toEqual(delivered);
  });

  it('catches up a webhook and a NATS subscriber that were offline, with the audit service restarted, each event once', async () => {
    await receiver.stop();
    await externalConsumer?.close();
    for (const name of ['missed-1', 'missed-2', 'missed-3']) await createRepository(name, 'bob');
    await eventually('the audit log to record the three', async () => {
      const page = await app!.get(Queries).ask('audit.record.list', {
        type: 'RepositoryCreated',
        actor: 'bob',
        offset: 0,
        limit: 10,
      });
      return page.count === 3 ? true : undefined;
    });
    // The audit service goes down too and comes back, subscribers still away: its delivery cursors were saved
    // with its records, so it resumes where each subscriber left off.
    await stopWharf();
    await startWharf();
    await receiver.start();
    await subscribeExternally();

    for (const events of [receiver.accepted, onNats]) {
      await eventually(`every missed event delivered ${events === onNats ? 'nats' : 'webhook'}`, async () =>
        ['missed-1', 'missed-2', 'missed-3'].every((name) => named(events, name).length > 0)
          ? true
          : undefined,
      );
      for (const name of ['missed-1', 'missed-2', 'missed-3']) {
        expect(named(events, name)[0]!.actor).toBe('bob');
      }
    }
    // Settle: anything delivered twice would arrive by now.
    await new Promise((r) => setTimeout(r, 1_000));
    for (const events of [receiver.accepted, onNats]) {
      expect(new Set(ids(events)).size, JSON.stringify(ids(events))).toBe(events.length);
    }
    // In the order they happened.
    const order = receiver.accepted
      .filter((e) => e.type === 'io.wharf.RepositoryCreated' && e.data.name?.startsWith('missed-'))
      .map((e) => e.data.name);
    expect(order).toEqual(['missed-1', 'missed-2', 'missed-3']);
  });
});
