import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SqliteEventStore } from '@wharf/event-store-sqlite';
import {
  blobsOf,
  freePort,
  pushImage,
  randomImage,
  startDockerRegistry,
  type FixtureImage,
  type StartedDockerRegistry,
} from '@wharf/testing';
import { eventually, startMultiProcess, type WharfDeployment } from './wharf-deployments.js';

const REPOSITORIES = '/pulp/api/v3/repositories/container/container/';
const REMOTES = '/pulp/api/v3/remotes/container/container/';
const DISTRIBUTIONS = '/pulp/api/v3/distributions/container/container/';
const STATUS = '/pulp/api/v3/status/';
const TAGS = ['t0', 't1', 't2', 't3', 't4', 't5'];
/** While the trickle is on, the proxy lets one upstream blob download through per this many ms. */
const TRICKLE_MS = 600;

type Json = Record<string, unknown>;

/**
 * A proxy to the upstream registry that makes a sync take as long as the test needs: while the trickle is on,
 * blob downloads start one at a time, TRICKLE_MS apart, and the download of `lastBlob` not at all, so the
 * sync cannot finish however slowly the restarts go; turned off, every held download goes on at once.
 */
interface Trickle {
  readonly url: string;
  readonly blobRequests: string[];
  off(): void;
  stop(): Promise<void>;
}

async function startTrickle(target: string, lastBlob: string): Promise<Trickle> {
  let trickling = true;
  const held: (() => void)[] = [];
  const blobRequests: string[] = [];
  const forward = (request: IncomingMessage, response: ServerResponse) => {
    if (response.destroyed) return;
    const upstream = httpRequest(
      new URL(request.url ?? '/', target),
      { method: request.method, headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  };
  const lastHeld: (() => void)[] = [];
  const releaser = setInterval(() => held.shift()?.(), TRICKLE_MS);
  const server = createServer((request, response) => {
    const isBlobDownload = request.method === 'GET' && (request.url ?? '').includes('/blobs/');
    if (isBlobDownload) blobRequests.push(request.url ?? '');
    const hold = () => forward(request, response);
    if (isBlobDownload && trickling) ((request.url ?? '').endsWith(lastBlob) ? lastHeld : held).push(hold);
    else forward(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    blobRequests,
    off() {
      trickling = false;
      for (const resume of [...held.splice(0), ...lastHeld.splice(0)]) resume();
    },
    async stop() {
      clearInterval(releaser);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface SteadyAnswer {
  readonly ok: boolean;
  readonly what: string;
  /** The services that were restarting at some moment while the request was under way. */
  readonly restarts: readonly string[];
}

/**
 * A request sent again and again until stopped, every answer kept with the restarts under way while it was
 * sent, so a test can ask which requests failed while no service they need was away.
 */
class SteadyRequests {
  readonly answers: SteadyAnswer[] = [];
  /** What was restarting from each change on: `restarting` sets append here. */
  private readonly phases: (string | undefined)[] = [undefined];
  private running = true;
  private loop: Promise<void>;

  constructor(send: () => Promise<string | undefined>, pauseMs: number) {
    this.loop = (async () => {
      while (this.running) {
        const firstPhase = this.phases.length - 1;
        let failure: string | undefined;
        try {
          failure = await send();
        } catch (error) {
          failure = String((error as Error).cause ?? error);
        }
        const restarts = this.phases.slice(firstPhase).filter((phase) => phase !== undefined);
        this.answers.push({ ok: failure === undefined, what: failure ?? 'ok', restarts });
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    })();
  }

  /** The service restarting from now on, or undefined once it is back. */
  set restarting(service: string | undefined) {
    this.phases.push(service);
  }

  /** Failures of requests during which none of `services` was restarting, each with what was. */
  failuresOutside(...services: string[]): string[] {
    return this.answers
      .filter((answer) => !answer.ok && !answer.restarts.some((service) => services.includes(service)))
      .map((answer) => `[${answer.restarts.join(', ')}] ${answer.what}`);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

/**
 * Kubernetes rolls out a new version one pod at a time. In the multi-process deployment (real nats-server,
 * S3 server, every service its own process) each service is restarted in turn with SIGTERM, while a sync of
 * a real docker-registry upstream runs, and while clients pull: the sync task still completes with exactly
 * the upstream content, the audit log misses none of the content service's events, the gateway keeps
 * answering `status/`, and no pull from a distribution process that is up fails.
 */
describe('rolling restarts of the multi-process deployment', () => {
  let wharf: WharfDeployment;
  let registry: StartedDockerRegistry;
  let trickle: Trickle;
  const images = new Map<string, FixtureImage>();
  let repositoryHref = '';

  const json = async <T = Json>(response: Response, status: number): Promise<T> => {
    const body = await response.text();
    expect(response.status, body).toBe(status);
    return JSON.parse(body) as T;
  };
  const post = async <T = Json>(path: string, body: unknown, status: number) =>
    json<T>(
      await wharf.api(path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      }),
      status,
    );
  const finished = (task: string, timeoutMs: number) =>
    eventually(
      `task ${task} to finish`,
      async () => {
        const view = await json<Json>(await wharf.api(task), 200);
        return ['completed', 'failed', 'canceled'].includes(view.state as string) ? view : undefined;
      },
      timeoutMs,
    );
  /** The gateway's own `status/` needs no other service: it must answer whatever else is restarting. */
  const statusChecks = () =>
    new SteadyRequests(async () => {
      const response = await fetch(`${wharf.apiUrl}${STATUS}`);
      await response.arrayBuffer();
      return response.status === 200 ? undefined : `status/ answered ${response.status}`;
    }, 100);
  /**
   * Listing repositories needs the content service: while it restarts the gateway answers 503 with a
   * `detail` (clients retry), never anything else.
   */
  const listChecks = () =>
    new SteadyRequests(async () => {
      const response = await wharf.api(`${REPOSITORIES}?limit=1`);
      const body = await response.text();
      if (response.status === 200) return undefined;
      if (response.status === 503 && 'detail' in (JSON.parse(body) as Json)) return '503';
      return `repositories/ answered ${response.status}: ${body}`;
    }, 100);

  /**
   * Pulls one image as a registry client does, from `registryUrl`: its manifest by tag, then every blob,
   * each checked against its digest. Undefined when all went well, else what went wrong.
   */
  const pull = async (registryUrl: string, tag: string): Promise<string | undefined> => {
    const image = images.get(tag)!;
    const manifest = await fetch(`${registryUrl}/v2/team/big/manifests/${tag}`, {
      headers: { Accept: image.mediaType },
    });
    const body = Buffer.from(await manifest.arrayBuffer());
    if (manifest.status !== 200) return `manifest ${tag}: ${manifest.status} ${body.toString()}`;
    if (!body.equals(image.bytes)) return `manifest ${tag}: other bytes than pushed upstream`;
    for (const blob of blobsOf(image)) {
      const response = await fetch(`${registryUrl}/v2/team/big/blobs/${blob.digest}`);
      const bytes = Buffer.from(await response.arrayBuffer());
      if (response.status !== 200) return `blob ${blob.digest}: ${response.status} ${bytes.toString()}`;
      const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
      if (digest !== blob.digest) return `blob ${blob.digest}: served bytes of ${digest}`;
    }
    return undefined;
  };
  const steadyPulls = (registryUrl: string) => {
    let next = 0;
    return new SteadyRequests(() => pull(registryUrl, TAGS[next++ % TAGS.length]!), 50);
  };

  beforeAll(async () => {
    [wharf, registry] = await Promise.all([startMultiProcess(), startDockerRegistry({ auth: 'none' })]);
    for (const tag of TAGS) {
      const image = randomImage({ layers: 3, layerSize: 20_000 });
      images.set(tag, image);
      await pushImage(registry, 'team/big', tag, image);
    }
    trickle = await startTrickle(registry.url, blobsOf(images.get(TAGS.at(-1)!)!)[0]!.digest);
  }, 180_000);

  afterAll(async () => {
    await trickle?.stop();
    await registry?.stop();
    await wharf?.stop();
  });

  it('completes a sync that runs while every service restarts in turn, and audits every content event', async () => {
    const remote = await post(
      REMOTES,
      {
        name: 'big',
        url: trickle.url,
        upstream_name: 'team/big',
        policy: 'immediate',
        download_concurrency: 2,
      },
      201,
    );
    const repository = await post(REPOSITORIES, { name: 'big', remote: remote.pulp_href }, 201);
    repositoryHref = repository.pulp_href as string;
    const { task } = await post<{ task: string }>(`${repositoryHref}sync/`, {}, 202);
    await eventually(
      'the sync to download its first blob',
      async () => trickle.blobRequests.length || undefined,
    );

    const status = statusChecks();
    const list = listChecks();
    const exitCodes: Record<string, number | null> = {};
    try {
      for (const service of [
        'sync',
        'content',
        'audit',
        'upload',
        'publication',
        'distribution',
        'gateway',
      ]) {
        status.restarting = list.restarting = service;
        exitCodes[service] = await wharf.restart!(service);
        status.restarting = list.restarting = undefined;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    } finally {
      await Promise.all([status.stop(), list.stop()]);
    }
    // Each process shut down cleanly, and the sync was still under way after the last restart.
    expect(exitCodes).toEqual({
      sync: 0,
      content: 0,
      audit: 0,
      upload: 0,
      publication: 0,
      distribution: 0,
      gateway: 0,
    });
    expect((await json<Json>(await wharf.api(task), 200)).state).toBe('running');
    expect(status.failuresOutside('gateway')).toEqual([]);
    expect(status.answers.filter((answer) => answer.ok).length).toBeGreaterThan(10);
    // Only the restarting gateway itself refuses connections. A list needs the content service: the gateway
    // waits for it up to 10 s, so a 503 could only come of a content restart slower than that.
    expect(list.failuresOutside('gateway', 'content')).toEqual([]);
    expect(list.failuresOutside('gateway').filter((failure) => !failure.endsWith('] 503'))).toEqual([]);
    expect(list.answers.filter((answer) => answer.ok).length).toBeGreaterThan(10);
    trickle.off();

    expect(await finished(task, 60_000)).toMatchObject({
      state: 'completed',
      error: null,
      created_resources: [`${repositoryHref}versions/1/`],
    });
    const version = await json<{ content_summary: { present: Record<string, { count: number }> } }>(
      await wharf.api(`${repositoryHref}versions/1/`),
      200,
    );
    const blobs = new Set([...images.values()].flatMap((image) => blobsOf(image).map((blob) => blob.digest)));
    expect(version.content_summary.present).toEqual({
      'container.tag': expect.objectContaining({ count: TAGS.length }),
      'container.manifest': expect.objectContaining({ count: images.size }),
      'container.blob': expect.objectContaining({ count: blobs.size }),
    });
    const versions = await json<{ results: { number: number }[] }>(
      await wharf.api(`${repositoryHref}versions/`),
      200,
    );
    expect(versions.results.map((v) => v.number).sort()).toEqual([0, 1]);

    // Every event the content service stored reached the audit log, once.
    const contentStore = new SqliteEventStore({ path: join(wharf.dataDir!, 'content', 'content.sqlite') });
    const contentEvents: { id: string; type: string }[] = [];
    try {
      for (let after = 0; ;) {
        const batch = await contentStore.readAll({ after, limit: 500 });
        if (batch.length === 0) break;
        after = batch.at(-1)!.globalPosition;
        contentEvents.push(...batch.map(({ id, type }) => ({ id, type })));
      }
    } finally {
      await contentStore.close();
    }
    expect(contentEvents.length).toBeGreaterThan(0);
    const countByType = (events: readonly { type: string }[]) =>
      events.reduce<Record<string, number>>(
        (counts, event) => ({ ...counts, [event.type]: (counts[event.type] ?? 0) + 1 }),
        {},
      );
    const audited = await eventually(
      'the audit log to hold every content event',
      async () => {
        const records: { event_id: string; event_type: string }[] = [];
        for (let offset = 0; ; offset += 1000) {
          const page = await json<{
            results: { event_id: string; event_type: string }[];
            next: string | null;
          }>(await wharf.api(`/pulp/api/v3/audit/?limit=1000&offset=${offset}`), 200);
          records.push(...page.results);
          if (!page.next) break;
        }
        const ids = new Set(records.map((record) => record.event_id));
        return contentEvents.every((event) => ids.has(event.id)) ? records : undefined;
      },
      20_000,
    );
    const contentIds = new Set(contentEvents.map((event) => event.id));
    const auditedContent = audited.filter((record) => contentIds.has(record.event_id));
    expect(auditedContent).toHaveLength(contentEvents.length);
    expect(countByType(auditedContent.map((record) => ({ type: record.event_type })))).toEqual(
      countByType(contentEvents),
    );
  }, 150_000);

  it('serves every pull while each other service restarts, and from a second distribution while the first restarts', async () => {
    expect(repositoryHref, 'the sync test ran first').not.toBe('');
    const { task } = await post<{ task: string }>(
      DISTRIBUTIONS,
      { name: 'big', base_path: 'team/big', repository: repositoryHref },
      202,
    );
    expect((await finished(task, 20_000)).state).toBe('completed');
    await eventually('the distribution to serve team/big', async () =>
      (await pull(wharf.registryUrl, TAGS[0]!)) === undefined ? true : undefined,
    );

    const pulls = steadyPulls(wharf.registryUrl);
    const status = statusChecks();
    try {
      for (const service of ['content', 'audit', 'sync', 'upload', 'publication', 'gateway']) {
        pulls.restarting = status.restarting = service;
        expect(await wharf.restart!(service), service).toBe(0);
        pulls.restarting = status.restarting = undefined;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      expect(pulls.failuresOutside()).toEqual([]);
      expect(status.failuresOutside('gateway')).toEqual([]);
      expect(pulls.answers.length).toBeGreaterThan(TAGS.length);

      // A second distribution process on its own registry port, as a second replica behind a Service.
      const secondRegistryUrl = `http://127.0.0.1:${await freePort()}`;
      await wharf.startReplica!('distribution', {
        WHARF_REGISTRY_PORT: new URL(secondRegistryUrl).port,
      });
      await eventually('the second distribution process to serve team/big', async () =>
        (await pull(secondRegistryUrl, TAGS[0]!)) === undefined ? true : undefined,
      );
      const secondPulls = steadyPulls(secondRegistryUrl);
      try {
        pulls.restarting = secondPulls.restarting = 'distribution';
        expect(await wharf.restart!('distribution')).toBe(0);
        pulls.restarting = secondPulls.restarting = undefined;
        // Clients of the restarted process retry; it serves again as soon as it is ready.
        const servedAgainAt = pulls.answers.length;
        await eventually('the restarted distribution process to serve pulls again', async () =>
          pulls.answers.slice(servedAgainAt).some((answer) => answer.ok) ? true : undefined,
        );
      } finally {
        await secondPulls.stop();
      }
      expect(secondPulls.failuresOutside()).toEqual([]);
      expect(
        secondPulls.answers.filter((answer) => answer.restarts.includes('distribution')).length,
      ).toBeGreaterThan(0);
      // The restarted process's own clients may see a connection closed under them, as during any restart.
      expect(pulls.failuresOutside('distribution')).toEqual([]);
    } finally {
      await Promise.all([pulls.stop(), status.stop()]);
    }
  }, 120_000);
});
