import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { blobsOf, manifestsOf, randomImage, type FixtureManifest, type WharfProcess } from '@wharf/testing';
import { eventually, startMultiProcess, type WharfDeployment } from './wharf-deployments.js';

const REPOSITORIES = '/pulp/api/v3/repositories/container/container/';

/** The lines of a process's output that are JSON log objects. */
function logLines(process: WharfProcess): Record<string, unknown>[] {
  return process
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The value of a Prometheus sample with these labels (all of them), or undefined when absent. */
function sample(exposition: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) {
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return undefined;
}

/** A read-only upstream registry serving one image as `name:v1`, recording each request's traceparent. */
async function serveImage(name: string, image: FixtureManifest) {
  const items = new Map(
    [...manifestsOf(image), ...blobsOf(image)].map((item) => [item.digest, item] as const),
  );
  const traceparents: (string | undefined)[] = [];
  const server: Server = createServer((request, response) => {
    traceparents.push(request.headers.traceparent as string | undefined);
    const path = request.url ?? '';
    const reference = path.split('/').at(-1)!;
    const item = path.includes('/manifests/') && reference === 'v1' ? image : items.get(reference);
    if (path === '/v2/') response.writeHead(200).end('{}');
    else if (path.startsWith(`/v2/${name}/tags/list`))
      response.writeHead(200).end(JSON.stringify({ name, tags: ['v1'] }));
    else if (item) {
      response.writeHead(200, {
        'Content-Type': 'mediaType' in item ? item.mediaType : 'application/octet-stream',
        'Content-Length': String(item.size),
        'Docker-Content-Digest': item.digest,
      });
      response.end(request.method === 'HEAD' ? undefined : item.bytes);
    } else response.writeHead(404).end('{"errors":[{"code":"NOT_FOUND","message":"not here"}]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    traceparents,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * What operators see of a multi-process Wharf: JSON log lines that name the request, task and trace; the
 * trace a client started carried from the gateway over NATS into the task another service runs; Prometheus
 * metrics on every service's port after real traffic; and the audit log naming who did what.
 */
describe('operations: logs, traces and metrics (multi-process)', () => {
  let wharf: WharfDeployment;
  const process = (name: string) => wharf.processes.find((p) => p.name === name)!;
  const metricsOf = async (name: string) => (await fetch(`${process(name).url}/metrics`)).text();
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    wharf.api(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    wharf = await startMultiProcess();
  }, 90_000);

  afterAll(async () => {
    await wharf?.stop();
  });

  it('echoes a client X-Request-Id and makes one when the client sent none', async () => {
    const echoed = await wharf.api('/pulp/api/v3/tasks/', { headers: { 'X-Request-Id': 'client-req-1' } });
    expect(echoed.status).toBe(200);
    expect(echoed.headers.get('x-request-id')).toBe('client-req-1');
    const made = await wharf.api('/pulp/api/v3/tasks/');
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("carries the client's traceparent and request id into the task another service runs, and its log lines", async () => {
    const traceId = randomBytes(16).toString('hex');
    const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
    const requestId = `req-${randomBytes(4).toString('hex')}`;
    const repo = (await (await post(REPOSITORIES, { name: 'traced' })).json()) as { pulp_href: string };
    // Tagging a manifest the repository does not hold fails in the content service's worker, which logs it.
    const accepted = await post(
      `${repo.pulp_href}tag/`,
      { tag: 'v1', digest: randomImage({ layers: 1 }).digest },
      { traceparent, 'X-Request-Id': requestId },
    );
    expect(accepted.status).toBe(202);
    const { task } = (await accepted.json()) as { task: string };
    const taskId = task.split('/').at(-2)!;

    const failure = await eventually('the content worker logging the failed task', async () =>
      logLines(process('content')).find((line) => line.taskId === taskId && line.level === 'warn'),
    );
    expect(failure).toMatchObject({
      service: 'content',
      traceId,
      requestId,
      actor: 'admin',
      message: expect.stringContaining(taskId),
    });
    expect(Date.parse(failure.time as string)).not.toBeNaN();
    // Every line of every process is a JSON object (nothing else is printed in multi-process mode).
    for (const p of wharf.processes) {
      const lines = p
        .output()
        .split('\n')
        .filter((l) => l.trim() !== '');
      for (const line of lines) expect(() => JSON.parse(line) as unknown, `${p.name}: ${line}`).not.toThrow();
    }
  });

  it("continues a sync request's trace at the upstream registry and counts the bytes synced", async () => {
    const image = randomImage({ layers: 2, layerSize: 5000 });
    const upstream = await serveImage('team/app', image);
    try {
      const traceId = randomBytes(16).toString('hex');
      const remote = (await (
        await post('/pulp/api/v3/remotes/container/container/', {
          name: 'traced-upstream',
          url: upstream.url,
          upstream_name: 'team/app',
          policy: 'immediate',
        })
      ).json()) as { pulp_href: string };
      const repo = (await (await post(REPOSITORIES, { name: 'synced' })).json()) as { pulp_href: string };
      const accepted = await post(
        `${repo.pulp_href}sync/`,
        { remote: remote.pulp_href },
        { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
      );
      expect(accepted.status).toBe(202);
      const { task } = (await accepted.json()) as { task: string };
      const done = await eventually(
        'the sync task to finish',
        async () => {
          const state = (await (await wharf.api(task)).json()) as { state: string };
          return ['completed', 'failed'].includes(state.state) ? state : undefined;
        },
        30_000,
      );
      expect(done.state).toBe('completed');
      // Every request the sync sent upstream belongs to the client's trace.
      expect(upstream.traceparents.length).toBeGreaterThan(0);
      for (const traceparent of upstream.traceparents)
        expect(traceparent).toMatch(new RegExp(`^00-${traceId}-`));
      const synced = Number(/^wharf_bytes_synced_total (\d+)$/m.exec(await metricsOf('sync'))?.[1]);
      const bytes = [...manifestsOf(image), ...blobsOf(image)].reduce((sum, item) => sum + item.size, 0);
      expect(synced).toBeGreaterThanOrEqual(bytes);
    } finally {
      await upstream.stop();
    }
  }, 60_000);

  it('exposes the named metrics on every service after real traffic', async () => {
    await wharf.api('/pulp/api/v3/tasks/?limit=1');
    const file = new FormData();
    file.set('file', new Blob([randomBytes(3000)]), 'random.bin');
    const artifact = await wharf.api('/pulp/api/v3/artifacts/', { method: 'POST', body: file });
    expect(artifact.status).toBe(201);
    const gateway = await metricsOf('gateway');
    expect(
      sample(gateway, 'wharf_http_request_duration_seconds_count', {
        server: 'api',
        method: 'GET',
        route: '/pulp/api/v3/tasks',
        status: '200',
      }),
    ).toBeGreaterThanOrEqual(1);
    expect(Number(/^wharf_bytes_uploaded_total (\d+)$/m.exec(gateway)?.[1])).toBeGreaterThanOrEqual(3000);
    // Route templates, never raw paths: no series names a repository id.
    expect(gateway).not.toMatch(/route="[^"]*[0-9a-f]{8}-[0-9a-f]{4}-/);

    const content = await eventually('the failed task counted by the content worker', async () => {
      const text = await metricsOf('content');
      return sample(text, 'wharf_tasks_total', { state: 'failed' }) ? text : undefined;
    });
    expect(sample(content, 'wharf_task_duration_seconds_count', { state: 'failed' })).toBeGreaterThanOrEqual(
      1,
    );
    expect(
      sample(content, 'wharf_event_store_append_duration_seconds_count', { store: 'content', outcome: 'ok' }),
    ).toBeGreaterThanOrEqual(1);

    for (const name of ['content', 'sync', 'upload', 'distribution', 'publication', 'audit', 'gateway']) {
      const text = await metricsOf(name);
      expect(text, name).toContain('# TYPE wharf_bytes_served_total counter');
      expect(text, name).toContain('wharf_process_resident_memory_bytes');
    }
    const audit = await metricsOf('audit');
    expect(sample(audit, 'wharf_bus_consumer_pending_messages', { consumer: 'subscriber:audit' })).toBe(0);
  });

  it('lists audit records by actor, repository, type and time range, a page at a time', async () => {
    const before = new Date().toISOString();
    const repo = (await (await post(REPOSITORIES, { name: 'filtered' })).json()) as { pulp_href: string };
    await post(`${repo.pulp_href}tag/`, { tag: 'x', digest: randomImage({ layers: 1 }).digest });
    type AuditPage = {
      count: number;
      next: string | null;
      results: { event_type: string; actor: string | null; repository: string | null; occurred_at: string }[];
    };
    const list = async (query: string) => {
      const response = await wharf.api(`/pulp/api/v3/audit/?${query}`);
      expect(response.status).toBe(200);
      return (await response.json()) as AuditPage;
    };
    const repository = encodeURIComponent(repo.pulp_href);
    const created = await eventually('the audit record of the new repository', async () => {
      const page = await list(`repository=${repository}&event_type=RepositoryCreated&actor=admin`);
      return page.count === 1 ? page : undefined;
    });
    expect(created.results[0]).toMatchObject({ actor: 'admin', repository: repo.pulp_href });
    expect(Date.parse(created.results[0]!.occurred_at)).toBeGreaterThanOrEqual(Date.parse(before));

    const all = await list(`repository=${repository}&limit=1`);
    expect(all.count).toBeGreaterThanOrEqual(1);
    expect(all.results).toHaveLength(1);
    expect(all.results.every((r) => r.repository === repo.pulp_href)).toBe(true);
    expect((await list(`repository=${repository}&before=${encodeURIComponent(before)}`)).count).toBe(0);
    expect((await list(`repository=${repository}&after=${encodeURIComponent(before)}`)).count).toBe(
      all.count,
    );
    expect((await list(`repository=${repository}&actor=someone-else`)).count).toBe(0);

    const invalid = await wharf.api('/pulp/api/v3/audit/?after=yesterday');
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toEqual({ after: ['Enter a valid date/time (ISO 8601).'] });
  });
});
