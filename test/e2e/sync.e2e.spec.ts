import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  artifactManifest,
  blobsOf,
  imageIndex,
  manifestsOf,
  multiPlatformImage,
  pushImage,
  randomImage,
  schema1Manifest,
  startDockerRegistry,
  startRegistryFront,
  type FixtureBlob,
  type FixtureManifest,
  type StartedDockerRegistry,
  type StartedRegistryFront,
} from '@wharf/testing';
import { eventually, startAllInOne, startMultiProcess, type WharfDeployment } from './wharf-deployments.js';

const REMOTES = '/pulp/api/v3/remotes/container/container/';
const REPOSITORIES = '/pulp/api/v3/repositories/container/container/';

interface TaskJson {
  state: string;
  error: { description: string } | null;
  created_resources: string[];
  progress_reports: { code: string; done: number; total: number | null; state: string }[];
}

interface RepositoryJson {
  pulp_href: string;
  latest_version_href: string;
}

interface ManifestJson {
  digest: string;
  schema_version: number | null;
  media_type: string | null;
}

type Counts = Record<'container.tag' | 'container.manifest' | 'container.blob', number>;

/** What syncing these tagged images must bring: every tag, manifest (children included) and served blob. */
function countsOf(images: readonly FixtureManifest[]): Counts {
  const manifests = new Set(images.flatMap((image) => manifestsOf(image).map((m) => m.digest)));
  const blobs = new Set(images.flatMap((image) => blobsOf(image).map((b) => b.digest)));
  return {
    'container.tag': images.length,
    'container.manifest': manifests.size,
    'container.blob': blobs.size,
  };
}

/**
 * A read-only registry serving fixed images (and any extra blobs) under one repository name, recording the
 * paths asked for: for content docker-registry will not take.
 */
async function serveImages(
  name: string,
  tagged: Readonly<Record<string, FixtureManifest>>,
  extraBlobs: readonly FixtureBlob[] = [],
): Promise<{ url: string; requested: string[]; stop(): Promise<void> }> {
  const images = Object.values(tagged);
  const manifests = new Map(images.flatMap(manifestsOf).map((m) => [m.digest, m] as const));
  for (const [tag, image] of Object.entries(tagged)) manifests.set(tag, image);
  const blobs = new Map([...images.flatMap(blobsOf), ...extraBlobs].map((b) => [b.digest, b] as const));
  const requested: string[] = [];
  const prefix = `/v2/${name}/`;
  const server = createServer((request, response) => {
    const path = request.url ?? '';
    requested.push(path);
    const [kind, reference] = path.startsWith(prefix) ? path.slice(prefix.length).split('/') : [];
    const item =
      kind === 'manifests' ? manifests.get(reference!) : kind === 'blobs' ? blobs.get(reference!) : undefined;
    if (path === '/v2/') {
      response.writeHead(200).end('{}');
    } else if (kind === 'tags') {
      response.writeHead(200, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ name, tags: Object.keys(tagged) }));
    } else if (item) {
      response.writeHead(200, {
        'Content-Type': item.mediaType,
        'Content-Length': String(item.size),
        'Docker-Content-Digest': item.digest,
      });
      response.end(request.method === 'HEAD' ? undefined : item.bytes);
    } else {
      response.writeHead(404, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ errors: [{ code: 'NOT_FOUND', message: `${path} is not here` }] }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requested,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Sync through the REST API, from Debian's docker-registry (the reference registry), in both runtime modes
 * (the multi-process one stores blobs in S3 and talks over NATS): a test front in between records every
 * request the sync sends upstream.
 */
describe.each([
  ['all-in-one', startAllInOne],
  ['multi-process', startMultiProcess],
] as const)('sync from an upstream registry (%s)', (_mode, start) => {
  let wharf: WharfDeployment;
  let registry: StartedDockerRegistry;
  let front: StartedRegistryFront;

  const json = async <T>(response: Response, status: number): Promise<T> => {
    const body = await response.text();
    expect(response.status, body).toBe(status);
    return JSON.parse(body) as T;
  };
  const post = (path: string, body: unknown) =>
    wharf.api(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  const sync = async (repository: RepositoryJson, body: Record<string, unknown> = {}): Promise<TaskJson> => {
    const { task } = await json<{ task: string }>(await post(`${repository.pulp_href}sync/`, body), 202);
    return eventually(
      `sync task ${task} to finish`,
      async () => {
        const view = await json<TaskJson>(await wharf.api(task), 200);
        return ['completed', 'failed', 'canceled'].includes(view.state) ? view : undefined;
      },
      30_000,
    );
  };
  const createRemote = async (fields: Record<string, unknown>): Promise<string> => {
    const remote = await json<{ pulp_href: string }>(
      await post(REMOTES, { policy: 'immediate', ...fields }),
      201,
    );
    return remote.pulp_href;
  };
  const createRepository = (name: string, remote?: string) =>
    post(REPOSITORIES, { name, ...(remote && { remote }) }).then((r) => json<RepositoryJson>(r, 201));
  const latest = async (repository: RepositoryJson) => {
    const current = await json<RepositoryJson>(await wharf.api(repository.pulp_href), 200);
    const version = await json<{
      number: number;
      content_summary: { present: Record<string, { count: number; href: string }> };
    }>(await wharf.api(current.latest_version_href), 200);
    const present = version.content_summary.present;
    const count = (type: keyof Counts) => present[type]?.count ?? 0;
    const tagNames = async () => {
      if (!present['container.tag']) return [];
      const page = await json<{ results: { name: string }[] }>(
        await wharf.api(present['container.tag'].href),
        200,
      );
      return page.results.map((tag) => tag.name).sort();
    };
    const manifests = async () => {
      if (!present['container.manifest']) return [];
      const page = await json<{ results: ManifestJson[] }>(
        await wharf.api(present['container.manifest'].href),
        200,
      );
      return page.results;
    };
    return {
      number: version.number,
      counts: {
        'container.tag': count('container.tag'),
        'container.manifest': count('container.manifest'),
        'container.blob': count('container.blob'),
      },
      tagNames,
      manifests,
    };
  };
  /** Requests the front forwarded since `from`, as `METHOD kind` where kind is manifests, blobs or tags. */
  const upstreamRequests = (from: number) =>
    front.requests.slice(from).map((request) => {
      const kind = /\/(manifests|blobs|tags)\//.exec(request.url)?.[1] ?? 'other';
      return `${request.method} ${kind}`;
    });

  beforeAll(async () => {
    [wharf, registry] = await Promise.all([start(), startDockerRegistry({ auth: 'none' })]);
    front = await startRegistryFront({ url: registry.url });
  }, 90_000);

  afterAll(async () => {
    await front?.stop();
    await registry?.stop();
    await wharf?.stop();
  });

  it('syncs every tag, multi-arch index included, then syncs again without downloading anything', async () => {
    const images = {
      v1: randomImage({ layers: 2 }),
      v2: randomImage({ layers: 1, format: 'docker' }),
      multi: multiPlatformImage(
        [
          { os: 'linux', architecture: 'amd64' },
          { os: 'linux', architecture: 'arm64', variant: 'v8' },
        ],
        { layers: 1 },
      ),
    };
    for (const [tag, image] of Object.entries(images)) await pushImage(registry, 'team/app', tag, image);
    const remote = await createRemote({ name: 'app-upstream', url: front.url, upstream_name: 'team/app' });
    const repository = await createRepository('app', remote);

    const first = await sync(repository);
    expect(first.error).toBeNull();
    expect(first.state).toBe('completed');
    expect(first.created_resources).toEqual([`${repository.pulp_href}versions/1/`]);
    const synced = await latest(repository);
    const expected = countsOf(Object.values(images));
    expect(synced.counts).toEqual(expected);
    expect(await synced.tagNames()).toEqual(['multi', 'v1', 'v2']);
    const blobsReport = first.progress_reports.find((report) => report.code === 'sync.downloading.blobs');
    expect(blobsReport).toMatchObject({ state: 'completed', done: expected['container.blob'] });

    const before = front.requests.length;
    const again = await sync(repository);
    expect(again.state).toBe('completed');
    expect(again.created_resources).toEqual([]);
    expect((await latest(repository)).number).toBe(1);
    const requests = upstreamRequests(before);
    expect(requests.filter((r) => r === 'GET manifests' || r === 'GET blobs')).toEqual([]);
    expect(requests.filter((r) => r === 'HEAD manifests')).toHaveLength(3);
  });

  it('takes only the tags include_tags selects and exclude_tags does not drop', async () => {
    for (const tag of ['1.0', '1.1', '1.1-rc1', 'latest']) {
      await pushImage(registry, 'team/filtered', tag, randomImage({ layers: 1 }));
    }
    const remote = await createRemote({
      name: 'filtered-upstream',
      url: registry.url,
      upstream_name: 'team/filtered',
      include_tags: ['1.*'],
      exclude_tags: ['*-rc?'],
    });
    const repository = await createRepository('filtered', remote);
    expect((await sync(repository)).state).toBe('completed');
    expect(await (await latest(repository)).tagNames()).toEqual(['1.0', '1.1']);
  });

  it('syncs a manifest list whole when the platforms filter keeps all it lists, and keeps part of it otherwise', async () => {
    const list = multiPlatformImage(
      [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
      ],
      { layers: 1 },
    );
    await pushImage(registry, 'team/multi', 'latest', list);
    const both = await createRemote({
      name: 'multi-both',
      url: registry.url,
      upstream_name: 'team/multi',
      platforms: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64' },
      ],
    });
    const whole = await createRepository('multi-whole', both);
    expect((await sync(whole)).error).toBeNull();
    expect((await latest(whole)).counts).toEqual(countsOf([list]));

    const amd64Only = await createRemote({
      name: 'multi-amd64',
      url: registry.url,
      upstream_name: 'team/multi',
      platforms: [{ os: 'linux', architecture: 'amd64' }],
    });
    const partial = await createRepository('multi-partial', amd64Only);
    const kept = await sync(partial);
    expect(kept.error).toBeNull();
    const [amd64] = list.manifests;
    const synced = await latest(partial);
    // The list as the upstream serves it, with only the amd64 image and its blobs (ADR 0012), though the
    // catalog knows the arm64 image from the sync above.
    expect(synced.counts).toEqual({ 'container.tag': 1, 'container.manifest': 2, 'container.blob': 2 });
    expect((await synced.manifests()).map((m) => m.digest).sort()).toEqual(
      [list.digest, amd64!.digest].sort(),
    );
  });

  it('removes a tag deleted upstream only when mirroring, with the content only it held', async () => {
    const kept = randomImage({ layers: 1 });
    const dropped = randomImage({ layers: 2 });
    await pushImage(registry, 'team/mirrored', 'kept', kept);
    await pushImage(registry, 'team/mirrored', 'dropped', dropped);
    const remote = await createRemote({
      name: 'mirrored-upstream',
      url: registry.url,
      upstream_name: 'team/mirrored',
    });
    const repository = await createRepository('mirrored');
    expect((await sync(repository, { remote })).state).toBe('completed');
    expect((await latest(repository)).counts).toEqual(countsOf([kept, dropped]));

    const deleted = await fetch(`${registry.url}/v2/team/mirrored/manifests/${dropped.digest}`, {
      method: 'DELETE',
    });
    expect(deleted.status).toBe(202);

    const additive = await sync(repository, { remote });
    expect(additive.state).toBe('completed');
    expect(additive.created_resources).toEqual([]);

    const mirrored = await sync(repository, { remote, mirror: true });
    expect(mirrored.state).toBe('completed');
    expect(mirrored.created_resources).toEqual([`${repository.pulp_href}versions/2/`]);
    const after = await latest(repository);
    expect(await after.tagNames()).toEqual(['kept']);
    expect(after.counts).toEqual(countsOf([kept]));
  });

  it('fails naming the blob when upstream bytes do not match their digest, and makes no version', async () => {
    const image = randomImage({ layers: 2 });
    await pushImage(registry, 'team/corrupt', 'latest', image);
    const layer = image.layers[1]!;
    const path = registry.blobDataPath(layer.digest);
    writeFileSync(path, randomBytes(statSync(path).size));
    const remote = await createRemote({
      name: 'corrupt-upstream',
      url: registry.url,
      upstream_name: 'team/corrupt',
    });
    const repository = await createRepository('corrupt', remote);

    const task = await sync(repository);
    expect(task.state).toBe('failed');
    expect(task.error?.description).toContain(layer.digest);
    expect(task.error?.description).toMatch(/digest/);
    expect((await latest(repository)).number).toBe(0);
  });

  it('brings tags attached to a synced manifest along (cosign, OCI referrers tag), and only those', async () => {
    const signed = randomImage({ layers: 1 });
    const unsigned = randomImage({ layers: 1 });
    const excluded = randomImage({ layers: 1 });
    await pushImage(registry, 'team/signed', 'v1', signed);
    await pushImage(registry, 'team/signed', 'v2', unsigned);
    await pushImage(registry, 'team/signed', 'other', excluded);
    const attachedTag = (image: FixtureManifest, suffix: string) =>
      `${image.digest.replace(':', '-')}${suffix}`;
    const cosignSigning = { blobMediaType: 'application/vnd.dev.cosign.simplesigning.v1+json' };
    const signature = artifactManifest(cosignSigning);
    const attestation = artifactManifest({ blobMediaType: 'application/vnd.dsse.envelope.v1+json' });
    const referrers = imageIndex([
      artifactManifest({ subject: signed, artifactType: 'application/spdx+json' }),
    ]);
    const ofExcluded = artifactManifest(cosignSigning);
    await pushImage(registry, 'team/signed', attachedTag(signed, '.sig'), signature);
    await pushImage(registry, 'team/signed', attachedTag(signed, '.att'), attestation);
    await pushImage(registry, 'team/signed', attachedTag(signed, ''), referrers);
    await pushImage(registry, 'team/signed', attachedTag(excluded, '.sig'), ofExcluded);
    const remote = await createRemote({
      name: 'signed-upstream',
      url: registry.url,
      upstream_name: 'team/signed',
      // Selecting the signature of an image left out must not bring it, nor leaving out v1's keep them away.
      include_tags: ['v*', attachedTag(excluded, '.sig')],
    });
    const repository = await createRepository('signed', remote);

    const task = await sync(repository);
    expect(task.error).toBeNull();
    const synced = await latest(repository);
    const attached = ['.sig', '.att', ''].map((suffix) => attachedTag(signed, suffix));
    expect(await synced.tagNames()).toEqual([...attached, 'v1', 'v2'].sort());
    expect(synced.counts).toEqual({
      ...countsOf([signed, unsigned, signature, attestation, referrers]),
      'container.tag': 5,
    });
  });

  it('skips foreign and non-distributable layers: the version is complete without their bytes', async () => {
    const docker = randomImage({ layers: 1, foreignLayers: 1, format: 'docker' });
    const oci = randomImage({ layers: 1, foreignLayers: 1, format: 'oci' });
    // docker-registry refuses manifests whose layers carry URLs unless configured to allow them, so a
    // static registry that even serves the foreign bytes stands in: skipping them is Wharf's own choice.
    const upstream = await serveImages('team/foreign', { docker, oci }, [
      ...docker.foreignLayers,
      ...oci.foreignLayers,
    ]);
    try {
      const remote = await createRemote({
        name: 'foreign-upstream',
        url: upstream.url,
        upstream_name: 'team/foreign',
      });
      const repository = await createRepository('foreign', remote);

      const task = await sync(repository);
      expect(task.error).toBeNull();
      expect(task.created_resources).toEqual([`${repository.pulp_href}versions/1/`]);
      // countsOf leaves foreign layers out, as registries do not serve them.
      expect((await latest(repository)).counts).toEqual(countsOf([docker, oci]));
      const foreignDigests = [...docker.foreignLayers, ...oci.foreignLayers].map((layer) => layer.digest);
      expect(
        upstream.requested.filter((url) => foreignDigests.some((digest) => url.includes(digest))),
      ).toEqual([]);
      expect(upstream.requested.filter((url) => url.includes('/blobs/'))).toHaveLength(
        countsOf([docker, oci])['container.blob'],
      );
    } finally {
      await upstream.stop();
    }
  });

  it('downloads foreign and non-distributable layers too when the remote includes them', async () => {
    const docker = randomImage({ layers: 1, foreignLayers: 1, format: 'docker' });
    const oci = randomImage({ layers: 1, foreignLayers: 1, format: 'oci' });
    const foreign = [...docker.foreignLayers, ...oci.foreignLayers];
    const upstream = await serveImages('team/foreign-kept', { docker, oci }, foreign);
    try {
      const remote = await createRemote({
        name: 'foreign-kept-upstream',
        url: upstream.url,
        upstream_name: 'team/foreign-kept',
        include_foreign_layers: true,
      });
      const view = await json<{ include_foreign_layers: boolean }>(await wharf.api(remote), 200);
      expect(view.include_foreign_layers).toBe(true);
      const repository = await createRepository('foreign-kept', remote);

      const task = await sync(repository);
      expect(task.error).toBeNull();
      const counts = countsOf([docker, oci]);
      expect((await latest(repository)).counts).toEqual({
        ...counts,
        'container.blob': counts['container.blob']! + foreign.length,
      });
      for (const layer of foreign) {
        expect(upstream.requested.filter((url) => url.includes(layer.digest))).toHaveLength(1);
      }
    } finally {
      await upstream.stop();
    }
  });

  it('syncs a signed schema 1 manifest under the digest the registry reports', async () => {
    // Debian's docker-registry 2.8 takes schema 1 with compatibility enabled, as the harness configures it.
    expect(registry.acceptsSchema1).toBe(true);
    const image = schema1Manifest({ layers: 2, name: 'team/legacy', tag: 'old' });
    await pushImage(registry, 'team/legacy', 'old', image);
    const head = await fetch(`${registry.url}/v2/team/legacy/manifests/old`, {
      method: 'HEAD',
      headers: { Accept: image.mediaType },
    });
    const reported = head.headers.get('docker-content-digest');
    expect(reported).toMatch(/^sha256:/);
    const remote = await createRemote({
      name: 'legacy-upstream',
      url: registry.url,
      upstream_name: 'team/legacy',
    });
    const repository = await createRepository('legacy', remote);

    const task = await sync(repository);
    expect(task.error).toBeNull();
    const synced = await latest(repository);
    expect(synced.counts).toEqual(countsOf([image]));
    expect(await synced.tagNames()).toEqual(['old']);
    expect(await synced.manifests()).toEqual([
      expect.objectContaining({ digest: reported, schema_version: 1 }),
    ]);
  });

  it('refuses a sync without a remote, naming the field', async () => {
    const repository = await createRepository('no-remote');
    const response = await post(`${repository.pulp_href}sync/`, {});
    expect(await json<Record<string, string[]>>(response, 400)).toEqual({ remote: [expect.any(String)] });
    const unknown = await post(`${repository.pulp_href}sync/`, {
      remote: `${REMOTES}00000000-0000-4000-8000-000000000000/`,
    });
    expect(await json<Record<string, string[]>>(unknown, 400)).toHaveProperty('remote');
  });

  describe('from a registry that wants bearer tokens', () => {
    let secured: StartedDockerRegistry;

    beforeAll(async () => {
      secured = await startDockerRegistry({ auth: 'token' });
    }, 30_000);

    afterAll(async () => {
      await secured?.stop();
    });

    it('signs in with the remote’s credentials, and fails naming the 401 without them', async () => {
      const image = randomImage({ layers: 1 });
      await pushImage(secured, 'private/app', 'v1', image);
      const withCredentials = await createRemote({
        name: 'token-upstream',
        url: secured.url,
        upstream_name: 'private/app',
        username: secured.username,
        password: secured.password,
      });
      const repository = await createRepository('private', withCredentials);
      const task = await sync(repository);
      expect(task.error).toBeNull();
      expect((await latest(repository)).counts).toEqual(countsOf([image]));

      const anonymous = await createRemote({
        name: 'token-anonymous',
        url: secured.url,
        upstream_name: 'private/app',
      });
      const refused = await sync(await createRepository('private-anonymous', anonymous));
      expect(refused.state).toBe('failed');
      expect(refused.error?.description).toMatch(/401/);
    });
  });
});
