import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  blobsOf,
  manifestsOf,
  multiPlatformImage,
  pushImage,
  randomImage,
  requireBinary,
  schema1Manifest,
  startDockerRegistry,
  startRegistryFront,
  type FixtureImage,
  type StartedDockerRegistry,
  type StartedRegistryFront,
} from '@wharf/testing';
import { eventually, startAllInOne, startMultiProcess, type WharfDeployment } from './wharf-deployments.js';

const REMOTES = '/pulp/api/v3/remotes/container/container/';
const REPOSITORIES = '/pulp/api/v3/repositories/container/container/';
const DISTRIBUTIONS = '/pulp/api/v3/distributions/container/container/';

type Json = Record<string, unknown>;

/**
 * Policy on_demand and pull-through (issues #5 and #6, ADR 0012): a sync brings manifests and image configs,
 * the layers come from the upstream on their first pull through a distribution, and stay. Debian's
 * docker-registry is the upstream, a test front in between counts what Wharf asks it, skopeo is the client.
 */
describe.each([
  ['all-in-one', startAllInOne],
  ['multi-process', startMultiProcess],
] as const)('on_demand content and pull-through (%s)', (_mode, start) => {
  let wharf: WharfDeployment;
  let registry: StartedDockerRegistry;
  let front: StartedRegistryFront;
  let outDir: string;
  let skopeoBinary: string;
  const skopeo = promisify(execFile);

  const post = async (path: string, body: unknown): Promise<Json> => {
    const response = await wharf.api(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as Json;
    expect([201, 202], JSON.stringify(answer)).toContain(response.status);
    return answer;
  };
  const runTask = async (path: string, body: unknown): Promise<Json> => {
    const { task } = await post(path, body);
    const finished = await eventually(
      `task ${String(task)}`,
      async () => {
        const state = (await (await wharf.api(task as string)).json()) as Json;
        return ['completed', 'failed', 'canceled'].includes(state.state as string) ? state : undefined;
      },
      30_000,
    );
    expect(finished.state, JSON.stringify(finished.error)).toBe('completed');
    return finished;
  };
  /** Syncs `upstream` into a new repository served at `basePath`. */
  const mirror = async (upstream: string, basePath: string, remote: Json = {}): Promise<void> => {
    const name = basePath.replace('/', '-');
    const created = await post(REMOTES, {
      name,
      url: front.url,
      upstream_name: upstream,
      policy: 'on_demand',
      ...remote,
    });
    const repository = await post(REPOSITORIES, { name, remote: created.pulp_href });
    await runTask(`${String(repository.pulp_href)}sync/`, {});
    await runTask(DISTRIBUTIONS, { name, base_path: basePath, repository: repository.pulp_href });
  };
  /** Requests the front forwarded since `from` that fetched blob bytes (GET), by digest. */
  const blobGets = (from: number) =>
    front.requests
      .slice(from)
      .filter((request) => request.method === 'GET' && request.url.includes('/blobs/'))
      .map((request) => request.url.slice(request.url.lastIndexOf('/') + 1));
  /** skopeo copy to an OCI layout; without `all`, only the linux/amd64 image of a list. */
  const pull = async (basePath: string, tag: string, into: string, all = true) => {
    const source = `docker://${wharf.registryUrl.replace('http://', '')}/${basePath}:${tag}`;
    const target = join(outDir, into);
    const args = all ? ['copy', '--all'] : ['--override-os', 'linux', '--override-arch', 'amd64', 'copy'];
    await skopeo(skopeoBinary, [...args, '--src-tls-verify=false', source, `oci:${target}:${tag}`], {
      timeout: 60_000,
    });
    return (digest: string) => readFileSync(join(target, 'blobs', ...digest.split(':')));
  };

  beforeAll(async () => {
    skopeoBinary = requireBinary('skopeo', 'skopeo');
    outDir = mkdtempSync(join(tmpdir(), 'wharf-e2e-on-demand-'));
    [wharf, registry] = await Promise.all([start(), startDockerRegistry({ auth: 'none' })]);
    front = await startRegistryFront({ url: registry.url });
  }, 120_000);

  afterAll(async () => {
    await front?.stop();
    await registry?.stop();
    await wharf?.stop();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('syncs without layer bytes, pulls every layer through once, then serves them locally', async () => {
    const image = randomImage({ layers: 3, layerSize: 200_000 });
    await pushImage(registry, 'team/lazy', 'v1', image);
    const before = front.requests.length;

    await mirror('team/lazy', 'lazy/app');
    expect(blobGets(before)).toEqual([image.config.digest]);

    // HEAD answers from the size the sync recorded, without asking the upstream.
    const layer = image.layers[0]!;
    const beforeHead = front.requests.length;
    const head = await fetch(`${wharf.registryUrl}/v2/lazy/app/blobs/${layer.digest}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(layer.size));
    expect(front.requests.length).toBe(beforeHead);

    const beforePull = front.requests.length;
    const first = await pull('lazy/app', 'v1', 'first');
    expect(blobGets(beforePull).sort()).toEqual(image.layers.map((l) => l.digest).sort());
    for (const item of [...manifestsOf(image), ...blobsOf(image)]) {
      expect(first(item.digest).equals(Buffer.from(item.bytes)), item.digest).toBe(true);
    }

    const beforeSecond = front.requests.length;
    const second = await pull('lazy/app', 'v1', 'second');
    expect(front.requests.slice(beforeSecond)).toEqual([]);
    for (const blob of blobsOf(image)) {
      expect(second(blob.digest).equals(Buffer.from(blob.bytes)), blob.digest).toBe(true);
    }
  }, 120_000);

  it('downloads a blob once for two concurrent first pulls, and serves a range of it', async () => {
    const image = randomImage({ layers: 1, layerSize: 2_000_000 });
    await pushImage(registry, 'team/shared', 'v1', image);
    await mirror('team/shared', 'shared/app');
    const layer = image.layers[0]!;
    const url = `${wharf.registryUrl}/v2/shared/app/blobs/${layer.digest}`;
    const before = front.requests.length;

    const bodies = await Promise.all(
      [1, 2].map(async () => Buffer.from(await (await fetch(url)).arrayBuffer())),
    );

    for (const body of bodies) expect(body.equals(Buffer.from(layer.bytes))).toBe(true);
    expect(blobGets(before)).toEqual([layer.digest]);
    const range = await fetch(url, { headers: { Range: 'bytes=10-19' } });
    expect(range.status).toBe(206);
    expect(Buffer.from(await range.arrayBuffer()).equals(Buffer.from(layer.bytes).subarray(10, 20))).toBe(
      true,
    );
    expect(blobGets(before)).toEqual([layer.digest]);
  }, 60_000);

  it('answers a first ranged pull once the whole blob is stored, then serves it locally', async () => {
    const image = randomImage({ layers: 1, layerSize: 100_000 });
    await pushImage(registry, 'team/ranged', 'v1', image);
    await mirror('team/ranged', 'ranged/app');
    const layer = image.layers[0]!;
    const url = `${wharf.registryUrl}/v2/ranged/app/blobs/${layer.digest}`;
    const before = front.requests.length;

    const range = await fetch(url, { headers: { Range: 'bytes=100-199' } });
    expect(range.status).toBe(206);
    expect(range.headers.get('content-range')).toBe(`bytes 100-199/${layer.size}`);
    expect(Buffer.from(await range.arrayBuffer()).equals(Buffer.from(layer.bytes).subarray(100, 200))).toBe(
      true,
    );
    const whole = Buffer.from(await (await fetch(url)).arrayBuffer());
    expect(whole.equals(Buffer.from(layer.bytes))).toBe(true);
    expect(blobGets(before)).toEqual([layer.digest]);
  }, 60_000);

  it('with policy streamed, passes every pull (whole or a range) through from upstream and keeps nothing', async () => {
    const image = randomImage({ layers: 2, layerSize: 300_000 });
    await pushImage(registry, 'team/streamed', 'v1', image);
    const before = front.requests.length;
    await mirror('team/streamed', 'streamed/app', { policy: 'streamed' });
    expect(blobGets(before)).toEqual([image.config.digest]);

    const beforePulls = front.requests.length;
    const first = await pull('streamed/app', 'v1', 'streamed-first');
    const second = await pull('streamed/app', 'v1', 'streamed-second');
    for (const blob of blobsOf(image)) {
      expect(first(blob.digest).equals(Buffer.from(blob.bytes)), blob.digest).toBe(true);
      expect(second(blob.digest).equals(Buffer.from(blob.bytes)), blob.digest).toBe(true);
    }
    const layer = image.layers[0]!;
    const url = `${wharf.registryUrl}/v2/streamed/app/blobs/${layer.digest}`;
    const range = await fetch(url, { headers: { Range: 'bytes=100000-100099' } });
    expect(range.status).toBe(206);
    expect(
      Buffer.from(await range.arrayBuffer()).equals(Buffer.from(layer.bytes).subarray(100_000, 100_100)),
    ).toBe(true);
    // Each pull went upstream for every layer: nothing was kept between them.
    const layerGets = blobGets(beforePulls).sort();
    const layers = image.layers.map((l) => l.digest);
    expect(layerGets).toEqual([...layers, ...layers, layer.digest].sort());
  }, 120_000);

  it('cuts the first pull short when upstream bytes do not match the digest, and stores nothing', async () => {
    const image: FixtureImage = randomImage({ layers: 1, layerSize: 300_000 });
    await pushImage(registry, 'team/corrupt', 'v1', image);
    await mirror('team/corrupt', 'corrupt/app');
    const layer = image.layers[0]!;
    const path = registry.blobDataPath(layer.digest);
    writeFileSync(path, randomBytes(statSync(path).size));
    const url = `${wharf.registryUrl}/v2/corrupt/app/blobs/${layer.digest}`;
    const before = front.requests.length;

    const response = await fetch(url);
    const received = await response.arrayBuffer().then(
      (body) => body.byteLength,
      () => 'cut',
    );
    expect(received).not.toBe(layer.size);

    // Nothing was kept: a later pull (once the failed download has settled) goes upstream again, and fails.
    const size = (next: Response) => next.arrayBuffer().then((body) => body.byteLength);
    await eventually('a second upstream GET', async () => {
      expect(
        await fetch(url)
          .then(size)
          .catch(() => 'cut'),
      ).not.toBe(layer.size);
      return blobGets(before).length > 1 ? true : undefined;
    });
    expect(new Set(blobGets(before))).toEqual(new Set([layer.digest]));
  }, 60_000);

  it("pulls through from an upstream that wants the remote's credentials, which no response or log shows", async () => {
    const secured = await startDockerRegistry({ auth: 'token' });
    try {
      const image = randomImage({ layers: 1 });
      await pushImage(secured, 'private/app', 'v1', image);
      const remote = await post(REMOTES, {
        name: 'private-lazy',
        url: secured.url,
        upstream_name: 'private/app',
        policy: 'on_demand',
        username: secured.username,
        password: secured.password,
      });
      const repository = await post(REPOSITORIES, { name: 'private-lazy', remote: remote.pulp_href });
      await runTask(`${String(repository.pulp_href)}sync/`, {});
      await runTask(DISTRIBUTIONS, {
        name: 'private-lazy',
        base_path: 'private/lazy',
        repository: repository.pulp_href,
      });

      const layer = image.layers[0]!;
      const response = await fetch(`${wharf.registryUrl}/v2/private/lazy/blobs/${layer.digest}`);
      const body = Buffer.from(await response.arrayBuffer());
      expect(response.status).toBe(200);
      expect(body.equals(Buffer.from(layer.bytes))).toBe(true);
      for (const process of wharf.processes) expect(process.output()).not.toContain(secured.password);
    } finally {
      await secured.stop();
    }
  }, 60_000);

  it("fetches from the served repository's remote when the remote that recorded the blob is gone", async () => {
    const image = randomImage({ layers: 1 });
    await pushImage(registry, 'team/twice', 'v1', image);
    await mirror('team/twice', 'first/app');
    await mirror('team/twice', 'second/app');
    const remotes = (await (await wharf.api(`${REMOTES}?name=first-app`)).json()) as {
      results: { pulp_href: string }[];
    };
    const { task } = (await (
      await wharf.api(remotes.results[0]!.pulp_href, { method: 'DELETE' })
    ).json()) as { task: string };
    await eventually('the remote deletion', async () => {
      const state = (await (await wharf.api(task)).json()) as Json;
      return state.state === 'completed' ? true : undefined;
    });

    const layer = image.layers[0]!;
    const response = await fetch(`${wharf.registryUrl}/v2/second/app/blobs/${layer.digest}`);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(layer.bytes))).toBe(true);
  }, 60_000);

  it('records schema 1 layers with the size the upstream reports, and serves them on first pull', async () => {
    const image = schema1Manifest({ layers: 2, name: 'team/legacy', tag: 'old' });
    await pushImage(registry, 'team/legacy', 'old', image);
    const before = front.requests.length;

    await mirror('team/legacy', 'legacy/app');

    expect(blobGets(before)).toEqual([]);
    for (const blob of blobsOf(image)) {
      const url = `${wharf.registryUrl}/v2/legacy/app/blobs/${blob.digest}`;
      const head = await fetch(url, { method: 'HEAD' });
      expect(head.headers.get('content-length')).toBe(String(blob.size));
      const body = Buffer.from(await (await fetch(url)).arrayBuffer());
      expect(body.equals(Buffer.from(blob.bytes)), blob.digest).toBe(true);
    }
    expect(blobGets(before).sort()).toEqual(
      blobsOf(image)
        .map((blob) => blob.digest)
        .sort(),
    );
  }, 60_000);

  it('keeps part of a multi-arch index with a platforms filter, and serves only the kept platform', async () => {
    const index = multiPlatformImage(
      [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
      ],
      { layers: 1 },
    );
    await pushImage(registry, 'team/multi', 'v1', index);
    const [amd64, arm64] = index.manifests as FixtureImage[];
    await mirror('team/multi', 'multi/app', { platforms: [{ os: 'linux', architecture: 'amd64' }] });
    const manifests = `${wharf.registryUrl}/v2/multi/app/manifests`;
    const accept = { Accept: `${index.mediaType}, ${amd64!.mediaType}` };

    const list = await fetch(`${manifests}/v1`, { headers: accept });
    expect(list.status).toBe(200);
    expect(list.headers.get('docker-content-digest')).toBe(index.digest);
    expect(Buffer.from(await list.arrayBuffer()).equals(Buffer.from(index.bytes))).toBe(true);
    expect((await fetch(`${manifests}/${amd64!.digest}`, { headers: accept })).status).toBe(200);
    const leftOut = await fetch(`${manifests}/${arm64!.digest}`, { headers: accept });
    expect(leftOut.status).toBe(404);
    expect(((await leftOut.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe(
      'MANIFEST_UNKNOWN',
    );

    const pulled = await pull('multi/app', 'v1', 'amd64', false);
    for (const blob of blobsOf(amd64!)) {
      expect(pulled(blob.digest).equals(Buffer.from(blob.bytes)), blob.digest).toBe(true);
    }
  }, 120_000);
});
