import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  blobsOf,
  manifestsOf,
  pushImage,
  randomImage,
  startDockerRegistry,
  startWharfProcess,
  type StartedDockerRegistry,
  type WharfProcess,
} from '@wharf/testing';
import { eventually, startMultiProcess, type WharfDeployment } from './wharf-deployments.js';

const ACK_WAIT_MS = 3_000;

/**
 * A proxy to the upstream registry that can hold blob downloads back: while closed, every blob GET waits
 * (the sync is "slow") until the gate opens; requests whose client went away meanwhile are dropped.
 */
interface BlobGate {
  readonly url: string;
  /** Paths of the blob GETs received so far, held or not. */
  readonly blobRequests: string[];
  close(): void;
  open(): void;
  stop(): Promise<void>;
}

async function startBlobGate(target: string): Promise<BlobGate> {
  let closed = false;
  let held: (() => void)[] = [];
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
  const server = createServer((request, response) => {
    const isBlobDownload = request.method === 'GET' && (request.url ?? '').includes('/blobs/');
    if (isBlobDownload) blobRequests.push(request.url ?? '');
    if (isBlobDownload && closed) held.push(() => forward(request, response));
    else forward(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    blobRequests,
    close: () => void (closed = true),
    open() {
      closed = false;
      const release = held;
      held = [];
      for (const resume of release) resume();
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Kubernetes kills pods mid-task. The sync process dies (SIGKILL) while a sync task waits on blob
 * downloads; a new sync process with the same settings gets the task again once its ack wait ran out, and
 * finishes it with exactly one new repository version. While it runs longer than the ack wait, the new
 * process keeps the task to itself, so no second copy of the sync starts.
 */
describe('a sync task whose worker is killed (multi-process)', () => {
  let wharf: WharfDeployment;
  let registry: StartedDockerRegistry;
  let gate: BlobGate;
  const workers: WharfProcess[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'wharf-sync-crash-'));

  const startSyncWorker = async () => {
    const worker = await startWharfProcess('sync', {
      ...wharf.serviceEnv,
      WHARF_DATA_DIR: dataDir,
      WHARF_TASK_ACK_WAIT_MS: String(ACK_WAIT_MS),
    });
    workers.push(worker);
    return worker;
  };
  const json = async <T>(response: Response, status: number): Promise<T> => {
    const body = await response.text();
    expect(response.status, body).toBe(status);
    return JSON.parse(body) as T;
  };
  const post = async <T>(path: string, body: unknown, status: number) =>
    json<T>(
      await wharf.api(path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      }),
      status,
    );

  beforeAll(async () => {
    [wharf, registry] = await Promise.all([startMultiProcess(), startDockerRegistry({ auth: 'none' })]);
    gate = await startBlobGate(registry.url);
  }, 90_000);

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await gate?.stop();
    await registry?.stop();
    await wharf?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('completes the task after redelivery to a new sync process, with exactly one new version', async () => {
    const image = randomImage({ layers: 2 });
    await pushImage(registry, 'team/slow', 'v1', image);
    const blobCount = blobsOf(image).length;
    // The deployment's own sync process runs with the default ack wait; this test's workers replace it.
    await wharf.processes.find((process) => process.name === 'sync')!.stop('SIGKILL');
    const first = await startSyncWorker();

    const remote = await post<{ pulp_href: string }>(
      '/pulp/api/v3/remotes/container/container/',
      { name: 'slow-upstream', url: gate.url, upstream_name: 'team/slow', policy: 'immediate' },
      201,
    );
    const repository = await post<{ pulp_href: string }>(
      '/pulp/api/v3/repositories/container/container/',
      { name: 'slow', remote: remote.pulp_href },
      201,
    );
    gate.close();
    const { task } = await post<{ task: string }>(`${repository.pulp_href}sync/`, {}, 202);
    await eventually(
      'the first worker to download a blob',
      async () => gate.blobRequests.length || undefined,
    );
    expect(await first.stop('SIGKILL')).toBeNull();

    const killedAt = gate.blobRequests.length;
    await startSyncWorker();
    await eventually(
      'the new worker to download every blob again',
      async () => gate.blobRequests.length - killedAt >= blobCount || undefined,
      4 * ACK_WAIT_MS,
    );
    // Held past two ack waits, the running task is not handed out a second time.
    await new Promise((resolve) => setTimeout(resolve, 2 * ACK_WAIT_MS + 1_000));
    expect(gate.blobRequests.length - killedAt).toBe(blobCount);
    gate.open();

    const finished = await eventually(
      `sync task ${task} to finish`,
      async () => {
        const view = await json<{ state: string; error: unknown; created_resources: string[] }>(
          await wharf.api(task),
          200,
        );
        return ['completed', 'failed', 'canceled'].includes(view.state) ? view : undefined;
      },
      30_000,
    );
    expect(finished).toMatchObject({
      state: 'completed',
      error: null,
      created_resources: [`${repository.pulp_href}versions/1/`],
    });
    const versions = await json<{ count: number; results: { number: number }[] }>(
      await wharf.api(`${repository.pulp_href}versions/`),
      200,
    );
    expect(versions.results.map((version) => version.number).sort()).toEqual([0, 1]);
    const latest = await json<{ content_summary: { present: Record<string, { count: number }> } }>(
      await wharf.api(`${repository.pulp_href}versions/1/`),
      200,
    );
    expect(latest.content_summary.present).toMatchObject({
      'container.tag': { count: 1 },
      'container.manifest': { count: manifestsOf(image).length },
      'container.blob': { count: blobCount },
    });
  }, 90_000);
});
