import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import type { INestApplication } from '@nestjs/common';
import { BlobStore } from '@wharf/ports';
import { createProcessApplication, loadSettings, Queries } from '@wharf/runtime';
import { ContentModule } from '@wharf/service-content';
import { TasksModule } from '@wharf/service-tasks';
import { PublicationModule } from '@wharf/service-publication';
import {
  DISTRIBUTION_TASKS,
  DISTRIBUTION_WORKER,
  DISTRIBUTIONS_RESOURCE,
  manifestKey,
  PUBLICATION_TASKS,
  tagKey,
  PUBLICATION_WORKER,
  type CreateDistributionRequest,
  type TaskView,
} from '@wharf/contracts';
import {
  artifactManifest,
  blobsOf,
  manifestsOf,
  multiPlatformImage,
  randomImage,
  requireBinary,
  schema1Manifest,
  type FixtureManifest,
} from '@wharf/testing';
import { DistributionModule } from './distribution.module.js';
import { RegistryServer } from './registry/registry.server.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
const ACCEPT_ALL = [OCI_INDEX, OCI_MANIFEST, DOCKER_MANIFEST].join(', ');
const MISSING_DIGEST = `sha256:${'0'.repeat(64)}`;
const ADMIN_PASSWORD = randomBytes(12).toString('hex');

/**
 * The registry API of an in-process Wharf (embedded adapters) as a client sees it over HTTP: content is
 * recorded and versioned through the content service's bus queries, served at base paths that distributions
 * created by tasks give it.
 */
describe('the registry API (pull)', () => {
  let dataDir: string;
  let app: INestApplication;
  let queries: Queries;
  let registry: string;

  const ociImage = randomImage({ layers: 2, layerSize: 4096 });
  const dockerImage = randomImage({ format: 'docker', layers: 1 });
  const otherImage = randomImage({ layers: 1 });
  const multiArch = multiPlatformImage([
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64', variant: 'v8' },
  ]);
  const signature = artifactManifest({
    artifactType: 'application/vnd.wharf.signature',
    subject: ociImage,
    annotations: { 'org.example.signed-by': 'ci' },
  });
  const sbom = artifactManifest({ artifactType: 'application/vnd.wharf.sbom', subject: ociImage });

  const settled = async (task: TaskView): Promise<TaskView> => {
    for (let i = 0; i < 250; i++) {
      const current = await queries.ask('tasks.get', { id: task.id });
      if (['completed', 'failed', 'canceled'].includes(current.state)) return current;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`task ${task.id} (${task.name}) did not finish`);
  };

  const distribute = async (request: CreateDistributionRequest): Promise<void> => {
    const payload = await queries.ask('distribution.validate-create', request);
    const task = await settled(
      await queries.ask('tasks.dispatch', {
        name: DISTRIBUTION_TASKS.create,
        worker: DISTRIBUTION_WORKER,
        payload,
        exclusiveResources: [DISTRIBUTIONS_RESOURCE],
      }),
    );
    expect(task.state, task.error?.description).toBe('completed');
  };

  const publish = async (repositoryId: string): Promise<string> => {
    const payload = await queries.ask('publication.validate-create', { repositoryId });
    const task = await settled(
      await queries.ask('tasks.dispatch', {
        name: PUBLICATION_TASKS.create,
        worker: PUBLICATION_WORKER,
        payload,
        exclusiveResources: [],
      }),
    );
    return task.createdResources[0]!.split('/').at(-2)!;
  };

  /** As sync and upload bring content: bytes into the blob store, then the units into the catalog. */
  const record = async (manifest: FixtureManifest): Promise<void> => {
    const blobs = app.get(BlobStore, { strict: false });
    for (const blob of blobsOf(manifest)) {
      await blobs.put(Readable.from([blob.bytes]), blob.digest);
      await queries.ask('content.blob.record', { digest: blob.digest, size: blob.size });
    }
    for (const item of manifestsOf(manifest)) {
      await queries.ask('content.manifest.record', {
        bytes: Buffer.from(item.bytes).toString('base64'),
        mediaType: item.mediaType,
      });
    }
  };

  /** A repository holding `manifests`, tagged as given; returns its id. */
  const repositoryWith = async (
    name: string,
    manifests: readonly FixtureManifest[],
    tags: Readonly<Record<string, FixtureManifest>> = {},
  ): Promise<string> => {
    const repository = await queries.ask('content.repository.create', { name });
    await queries.ask('content.version.modify', {
      repositoryId: repository.id,
      add: manifests.map((m) => manifestKey(m.digest)),
    });
    for (const [tag, manifest] of Object.entries(tags)) {
      await queries.ask('content.version.tag', { repositoryId: repository.id, tag, digest: manifest.digest });
    }
    return repository.id;
  };

  const get = (path: string, init: RequestInit = {}) => fetch(`${registry}${path}`, init);
  const accepting = (accept = ACCEPT_ALL, init: RequestInit = {}): RequestInit => ({
    ...init,
    headers: { Accept: accept, ...(init.headers as Record<string, string>) },
  });
  const errorCode = async (response: Response) =>
    ((await response.json()) as { errors: { code: string }[] }).errors[0]!.code;

  let appRepository: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-registry-'));
    const settings = loadSettings(
      {
        WHARF_DATA_DIR: dataDir,
        WHARF_REGISTRY_PORT: '0',
        WHARF_ADMIN_PASSWORD: ADMIN_PASSWORD,
        WHARF_SECRET_KEY: randomBytes(32).toString('base64'),
      },
      { bus: 'memory', eventStore: 'sqlite', blobStore: 'fs', httpPortVariable: 'X', httpPort: 0 },
    );
    app = await createProcessApplication(
      'test',
      settings,
      [TasksModule, ContentModule, PublicationModule, DistributionModule],
      false,
    );
    await app.init();
    queries = app.get(Queries);
    registry = `http://127.0.0.1:${app.get(RegistryServer).port}`;

    for (const manifest of [ociImage, dockerImage, otherImage, multiArch, signature, sbom])
      await record(manifest);
    appRepository = await repositoryWith('app', [ociImage, dockerImage, multiArch, signature, sbom], {
      v1: ociImage,
      docker: dockerImage,
      multi: multiArch,
    });
    await distribute({ name: 'app', basePath: 'team/app', repositoryId: appRepository });
    const other = await repositoryWith('other', [otherImage], { v1: otherImage });
    await distribute({ name: 'other', basePath: 'other', repositoryId: other });
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers the base endpoint with the API version header, challenging clients to take a token', async () => {
    const anonymous = await get('/v2/');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    expect(anonymous.headers.get('www-authenticate')).toBe(
      `Bearer realm="${registry}/token",service="wharf-registry"`,
    );
    const { token } = (await (await get('/token?service=wharf-registry')).json()) as { token: string };
    const response = await get('/v2/', { headers: { Authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    expect(await response.json()).toEqual({});
  });

  it('lets an anonymous client that follows the challenge, as docker does, pull public content', async () => {
    const probe = await get('/v2/');
    expect(probe.status).toBe(401);
    const challenge = /^Bearer realm="([^"]+)",service="([^"]+)"$/.exec(
      probe.headers.get('www-authenticate')!,
    )!;
    const tokenUrl = new URL(challenge[1]!);
    tokenUrl.search = new URLSearchParams({
      service: challenge[2]!,
      scope: 'repository:team/app:pull',
    }).toString();
    const tokenResponse = await fetch(tokenUrl);
    expect(tokenResponse.status).toBe(200);
    const { token } = (await tokenResponse.json()) as { token: string };
    const authorized = { Authorization: `Bearer ${token}` };
    expect((await get('/v2/', { headers: authorized })).status).toBe(200);
    const manifest = await get('/v2/team/app/manifests/v1', accepting(ACCEPT_ALL, { headers: authorized }));
    expect(manifest.status).toBe(200);
    expect(manifest.headers.get('docker-content-digest')).toBe(ociImage.digest);
    // Public content needs no token at all; the probe's challenge only tells clients where to get one.
    expect((await get(`/v2/team/app/blobs/${ociImage.layers[0]!.digest}`)).status).toBe(200);
  });

  it('serves a manifest by tag and by digest: the stored bytes, type, digest and length', async () => {
    for (const reference of ['v1', ociImage.digest]) {
      const response = await get(`/v2/team/app/manifests/${reference}`, accepting());
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(OCI_MANIFEST);
      expect(response.headers.get('docker-content-digest')).toBe(ociImage.digest);
      expect(response.headers.get('content-length')).toBe(String(ociImage.size));
      expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(ociImage.bytes))).toBe(true);
    }
    const docker = await get('/v2/team/app/manifests/docker', accepting(DOCKER_MANIFEST));
    expect(docker.headers.get('content-type')).toBe(DOCKER_MANIFEST);
    expect(Buffer.from(await docker.arrayBuffer()).equals(Buffer.from(dockerImage.bytes))).toBe(true);
  });

  it('serves a signed schema 1 manifest verbatim under the digest of its payload', async () => {
    const legacy = schema1Manifest({ signed: true });
    await record(legacy);
    const repositoryId = await repositoryWith('legacy', [legacy], { old: legacy });
    await distribute({ name: 'legacy', basePath: 'legacy', repositoryId });
    const response = await get('/v2/legacy/manifests/old');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(legacy.mediaType);
    expect(response.headers.get('docker-content-digest')).toBe(legacy.digest);
    expect(Buffer.from(await response.arrayBuffer()).equals(Buffer.from(legacy.bytes))).toBe(true);
    expect((await get(`/v2/legacy/manifests/${legacy.digest}`)).status).toBe(200);
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const response = await get('/v2/team/app/manifests/multi', accepting(ACCEPT_ALL, { method: 'HEAD' }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(OCI_INDEX);
    expect(response.headers.get('docker-content-digest')).toBe(multiArch.digest);
    expect(response.headers.get('content-length')).toBe(String(multiArch.size));
    expect((await response.arrayBuffer()).byteLength).toBe(0);

    const missing = await get('/v2/team/app/manifests/nope', accepting(ACCEPT_ALL, { method: 'HEAD' }));
    expect(missing.status).toBe(404);
    expect((await missing.arrayBuffer()).byteLength).toBe(0);
  });

  it('does not serve an OCI manifest by tag to a client that does not accept OCI, but does by digest', async () => {
    const byTag = await get('/v2/team/app/manifests/v1', accepting(DOCKER_MANIFEST));
    expect(byTag.status).toBe(404);
    expect(await errorCode(byTag)).toBe('MANIFEST_UNKNOWN');
    const byDigest = await get(`/v2/team/app/manifests/${ociImage.digest}`, accepting(DOCKER_MANIFEST));
    expect(byDigest.status).toBe(200);
  });

  it('streams blobs whole and by range, and refuses ranges outside the blob', async () => {
    const layer = ociImage.layers[0]!;
    const whole = await get(`/v2/team/app/blobs/${layer.digest}`);
    expect(whole.status).toBe(200);
    expect(whole.headers.get('docker-content-digest')).toBe(layer.digest);
    expect(whole.headers.get('content-length')).toBe(String(layer.size));
    expect(whole.headers.get('accept-ranges')).toBe('bytes');
    expect(Buffer.from(await whole.arrayBuffer()).equals(Buffer.from(layer.bytes))).toBe(true);

    const head = await get(`/v2/team/app/blobs/${layer.digest}`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(layer.size));
    expect((await head.arrayBuffer()).byteLength).toBe(0);

    const part = await get(`/v2/team/app/blobs/${layer.digest}`, { headers: { Range: 'bytes=10-19' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 10-19/${layer.size}`);
    expect(part.headers.get('content-length')).toBe('10');
    expect(Buffer.from(await part.arrayBuffer()).equals(Buffer.from(layer.bytes.subarray(10, 20)))).toBe(
      true,
    );

    const tail = await get(`/v2/team/app/blobs/${layer.digest}`, { headers: { Range: 'bytes=-5' } });
    expect(Buffer.from(await tail.arrayBuffer()).equals(Buffer.from(layer.bytes.subarray(-5)))).toBe(true);

    const beyond = await get(`/v2/team/app/blobs/${layer.digest}`, {
      headers: { Range: `bytes=${layer.size}-` },
    });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${layer.size}`);
    expect(await errorCode(beyond)).toBe('RANGE_INVALID');
  });

  it('serves a blob of many read chunks to several clients at once, every byte right', async () => {
    // Served chunks go back to the blob store for reuse once written. A chunk reused too early shows up as
    // wrong bytes for a client that stalls long enough for the server's writes to queue behind the kernel's
    // socket buffers (a few MiB on loopback), while other clients' streams take chunks from the pool.
    const big = randomImage({ layers: 1, layerSize: 24 * 1024 * 1024 + 4321 });
    await record(big);
    await distribute({
      name: 'big',
      basePath: 'team/big',
      repositoryId: await repositoryWith('big', [big], { v1: big }),
    });
    const layer = big.layers[0]!;
    const url = `/v2/team/big/blobs/${layer.digest}`;
    const digestOf = async (body: AsyncIterable<Uint8Array>, hash = createHash('sha256')) => {
      for await (const chunk of body) hash.update(chunk);
      return `sha256:${hash.digest('hex')}`;
    };
    const stalled = (await get(url)).body!;
    const stalledHash = createHash('sha256');
    const reader = stalled.getReader();
    stalledHash.update((await reader.read()).value!);
    reader.releaseLock();
    await new Promise((resolve) => setTimeout(resolve, 200));

    const others = await Promise.all(Array.from({ length: 3 }, async () => digestOf((await get(url)).body!)));
    const start = 1024 * 1024 - 7;
    const end = 2 * 1024 * 1024 + 7;
    const part = await get(url, { headers: { Range: `bytes=${start}-${end}` } });
    const ranged = Buffer.from(await part.arrayBuffer());

    expect(others).toEqual([layer.digest, layer.digest, layer.digest]);
    expect(ranged.equals(Buffer.from(layer.bytes.subarray(start, end + 1)))).toBe(true);
    expect(await digestOf(stalled, stalledHash)).toBe(layer.digest);
  });

  it('keeps distributions apart: another repository’s manifests and blobs are unknown here', async () => {
    const manifest = await get(`/v2/team/app/manifests/${otherImage.digest}`, accepting());
    expect(manifest.status).toBe(404);
    expect(await manifest.json()).toEqual({
      errors: [
        {
          code: 'MANIFEST_UNKNOWN',
          message: expect.stringContaining(otherImage.digest),
          detail: { name: 'team/app', reference: otherImage.digest },
        },
      ],
    });
    const blob = await get(`/v2/team/app/blobs/${otherImage.layers[0]!.digest}`);
    expect(blob.status).toBe(404);
    expect(await errorCode(blob)).toBe('BLOB_UNKNOWN');
    // ...and served where they belong
    expect((await get(`/v2/other/blobs/${otherImage.layers[0]!.digest}`)).status).toBe(200);
    expect((await get(`/v2/other/manifests/${ociImage.digest}`, accepting())).status).toBe(404);
  });

  it.each([
    ['an unknown name', '/v2/nobody/tags/list', 404, 'NAME_UNKNOWN'],
    ['a path prefix of a name', '/v2/team/tags/list', 404, 'NAME_UNKNOWN'],
    ['an invalid name', '/v2/Team/App/tags/list', 400, 'NAME_INVALID'],
    ['an invalid digest', '/v2/team/app/blobs/sha256:1234', 400, 'DIGEST_INVALID'],
    ['an unknown blob', `/v2/team/app/blobs/${MISSING_DIGEST}`, 404, 'BLOB_UNKNOWN'],
    ['an unknown tag', '/v2/team/app/manifests/v9', 404, 'MANIFEST_UNKNOWN'],
    ['an invalid page size', '/v2/team/app/tags/list?n=-1', 400, 'PAGINATION_NUMBER_INVALID'],
  ])('answers %s with the spec’s error body', async (_, path, status, code) => {
    const response = await get(path, accepting());
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await errorCode(response)).toBe(code);
  });

  it('asks for credentials before a push, and refuses methods an endpoint does not take', async () => {
    const response = await get('/v2/team/app/manifests/v2', {
      method: 'PUT',
      headers: { 'Content-Type': OCI_MANIFEST },
      body: Buffer.from(ociImage.bytes),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('scope="repository:team/app:pull,push"');
    expect(await errorCode(response)).toBe('UNAUTHORIZED');
    const tags = await get('/v2/team/app/tags/list', { method: 'DELETE' });
    expect(tags.status).toBe(405);
    expect(tags.headers.get('allow')).toBe('GET, HEAD');
    expect(await errorCode(tags)).toBe('UNSUPPORTED');
  });

  it('lists tags a page at a time, linking to the next page', async () => {
    const all = await get('/v2/team/app/tags/list');
    expect(await all.json()).toEqual({ name: 'team/app', tags: ['docker', 'multi', 'v1'] });
    expect(all.headers.get('link')).toBeNull();

    const first = await get('/v2/team/app/tags/list?n=2');
    expect(await first.json()).toEqual({ name: 'team/app', tags: ['docker', 'multi'] });
    expect(first.headers.get('link')).toBe('</v2/team/app/tags/list?n=2&last=multi>; rel="next"');
    const second = await get('/v2/team/app/tags/list?n=2&last=multi');
    expect(await second.json()).toEqual({ name: 'team/app', tags: ['v1'] });
    expect(second.headers.get('link')).toBeNull();
    expect(await (await get('/v2/team/app/tags/list?n=0')).json()).toEqual({ name: 'team/app', tags: [] });
  });

  it('lists tags and the catalog in strict lexical order, page by page', async () => {
    const names = ['a', '10', '1-rc', 'A', '1', '1.0'];
    const lexical = ['1', '1-rc', '1.0', '10', 'A', 'a'];
    const repositoryId = await repositoryWith('lexical', [otherImage]);
    for (const tag of names) {
      await queries.ask('content.version.tag', { repositoryId, tag, digest: otherImage.digest });
    }
    const basePaths = ['lex0', 'lex_b', 'lex', 'lex.b', 'lex-b'];
    for (const basePath of basePaths) await distribute({ name: basePath, basePath, repositoryId });

    const walk = async (path: string, key: 'tags' | 'repositories'): Promise<string[]> => {
      const seen: string[] = [];
      for (let next: string | undefined = path; next !== undefined;) {
        const response = await get(next);
        seen.push(...((await response.json()) as Record<string, string[]>)[key]!);
        next = /^<([^>]+)>; rel="next"$/.exec(response.headers.get('link') ?? '')?.[1];
      }
      return seen;
    };
    expect(await walk('/v2/lex/tags/list', 'tags')).toEqual(lexical);
    expect(await walk('/v2/lex/tags/list?n=2', 'tags')).toEqual(lexical);
    expect(await walk('/v2/lex/tags/list?n=1&last=1', 'tags')).toEqual(lexical.slice(1));
    expect(await walk('/v2/lex/tags/list?n=4&last=1.', 'tags')).toEqual(['1.0', '10', 'A', 'a']);
    const catalog = (await walk('/v2/_catalog?n=2', 'repositories')).filter((n) => n.startsWith('lex'));
    expect(catalog).toEqual(['lex', 'lex-b', 'lex.b', 'lex0', 'lex_b']);
  });

  it('lists referrers of a manifest in the served version, filtered by artifact type', async () => {
    const all = await get(`/v2/team/app/referrers/${ociImage.digest}`);
    expect(all.status).toBe(200);
    expect(all.headers.get('content-type')).toBe(OCI_INDEX);
    expect(all.headers.get('oci-filters-applied')).toBeNull();
    const index = (await all.json()) as { schemaVersion: number; mediaType: string; manifests: unknown[] };
    expect(index).toMatchObject({ schemaVersion: 2, mediaType: OCI_INDEX });
    expect(index.manifests).toHaveLength(2);
    expect(index.manifests).toContainEqual({
      mediaType: OCI_MANIFEST,
      digest: signature.digest,
      size: signature.size,
      artifactType: 'application/vnd.wharf.signature',
      annotations: { 'org.example.signed-by': 'ci' },
    });

    const filtered = await get(
      `/v2/team/app/referrers/${ociImage.digest}?artifactType=${encodeURIComponent('application/vnd.wharf.sbom')}`,
    );
    expect(filtered.headers.get('oci-filters-applied')).toBe('artifactType');
    expect(((await filtered.json()) as { manifests: { digest: string }[] }).manifests).toEqual([
      expect.objectContaining({ digest: sbom.digest, artifactType: 'application/vnd.wharf.sbom' }),
    ]);
    // The referrers live in team/app only.
    const elsewhere = await get(`/v2/other/referrers/${ociImage.digest}`);
    expect(((await elsewhere.json()) as { manifests: unknown[] }).manifests).toEqual([]);
  });

  it('serves a fixed version, or a publication’s, even after the repository moves on', async () => {
    const repositoryId = await repositoryWith('pinned', [otherImage], { stable: otherImage });
    const version = (await queries.ask('content.repository.get', { id: repositoryId })).latestVersion;
    const publicationId = await publish(repositoryId);
    await distribute({
      name: 'pinned',
      basePath: 'pinned/fixed',
      repositoryVersion: { repositoryId, version },
    });
    await distribute({ name: 'published', basePath: 'pinned/published', publicationId });
    await distribute({ name: 'latest', basePath: 'pinned/latest', repositoryId });
    await queries.ask('content.version.tag', { repositoryId, tag: 'newer', digest: otherImage.digest });

    const tags = async (name: string) =>
      ((await (await get(`/v2/${name}/tags/list`)).json()) as { tags: string[] }).tags;
    expect(await tags('pinned/fixed')).toEqual(['stable']);
    expect(await tags('pinned/published')).toEqual(['stable']);
    // The new version is served once its automatic publication exists, a moment after the version.
    await vi.waitFor(async () => expect(await tags('pinned/latest')).toEqual(['newer', 'stable']));
    expect((await get('/v2/pinned/fixed/manifests/newer', accepting())).status).toBe(404);
    expect((await get('/v2/pinned/latest/manifests/newer', accepting())).status).toBe(200);
  });

  describe('a distribution that follows a repository', () => {
    const first = randomImage({ layers: 1 });
    const second = randomImage({ layers: 1 });
    let repositoryId: string;

    const publications = async () =>
      (await queries.ask('publication.list', { repositoryId, offset: 0, limit: 100 })).results;
    const servedDigest = async () =>
      (await get('/v2/following/app/manifests/latest', accepting())).headers.get('docker-content-digest');

    beforeAll(async () => {
      await record(first);
      await record(second);
      repositoryId = await repositoryWith('following', [first], { latest: first });
    });

    it('gets its repository’s latest version published when it starts following, and serves it', async () => {
      const version = (await queries.ask('content.repository.get', { id: repositoryId })).latestVersion;
      await distribute({ name: 'following', basePath: 'following/app', repositoryId });
      await vi.waitFor(async () =>
        expect((await publications()).map((p) => p.repositoryVersion)).toEqual([version]),
      );
      expect(await servedDigest()).toBe(first.digest);
    });

    it('gets each new version published once, and serves the new publication', async () => {
      await queries.ask('content.version.modify', { repositoryId, add: [manifestKey(second.digest)] });
      const { version } = await queries.ask('content.version.tag', {
        repositoryId,
        tag: 'latest',
        digest: second.digest,
      });
      await vi.waitFor(async () => expect((await publications())[0]?.repositoryVersion).toBe(version.number));
      const made = await publications();
      // One per version: the first, the one that added `second` (made or skipped as no longer latest), this one.
      expect(new Set(made.map((p) => p.repositoryVersion)).size).toBe(made.length);
      expect(await servedDigest()).toBe(second.digest);
      const { publication } = await queries.ask('publication.latest', { repositoryId });
      expect(publication?.repositoryVersion).toBe(version.number);
    });

    it('keeps the version it served before reachable by digest for a while, so a pull under way completes', async () => {
      // A client reads the manifest tagged `latest`; then the repository moves on without it.
      const read = await get('/v2/following/app/manifests/latest', accepting());
      const readDigest = read.headers.get('docker-content-digest')!;
      expect(readDigest).toBe(second.digest);
      const { version } = await queries.ask('content.version.modify', {
        repositoryId,
        remove: '*',
        add: [manifestKey(first.digest), tagKey('latest', first.digest)],
      });
      // The new version is served at once; what the client read stays reachable while the new version's
      // publication is made, and after.
      expect(await servedDigest()).toBe(first.digest);
      expect((await get(`/v2/following/app/manifests/${second.digest}`, accepting())).status).toBe(200);
      await vi.waitFor(async () => expect((await publications())[0]?.repositoryVersion).toBe(version.number));
      expect(await servedDigest()).toBe(first.digest);

      // What it read is still there by digest; the tag shows the new version only.
      expect((await get(`/v2/following/app/manifests/${second.digest}`, accepting())).status).toBe(200);
      const layer = await get(`/v2/following/app/blobs/${second.layers[0]!.digest}`);
      expect(Buffer.from(await layer.arrayBuffer()).equals(Buffer.from(second.layers[0]!.bytes))).toBe(true);
      expect((await get(`/v2/following/app/blobs/${otherImage.layers[0]!.digest}`)).status).toBe(404);

      // Past the grace period only the served version counts (previous-version.policy.unit.spec.ts).
    });

    it('publishes nothing for repositories no distribution follows', async () => {
      const unfollowed = await repositoryWith('unfollowed', [first], { v1: first });
      await queries.ask('content.version.tag', { repositoryId: unfollowed, tag: 'v2', digest: first.digest });
      // The followed repository's next version is published after the unfollowed one's events were seen.
      const { version } = await queries.ask('content.version.untag', { repositoryId, tag: 'latest' });
      await vi.waitFor(async () => expect((await publications())[0]?.repositoryVersion).toBe(version.number));
      const all = await queries.ask('publication.list', { repositoryId: unfollowed, offset: 0, limit: 10 });
      expect(all.count).toBe(0);
    });
  });

  it('lists the catalog of public distributions a page at a time', async () => {
    await distribute({ name: 'secret', basePath: 'secret', private: true });
    const all = (await (await get('/v2/_catalog')).json()) as { repositories: string[] };
    expect(all.repositories).toEqual(expect.arrayContaining(['other', 'team/app']));
    expect(all.repositories).not.toContain('secret');
    expect(all.repositories).toEqual([...all.repositories].sort());

    const first = await get('/v2/_catalog?n=1');
    expect(((await first.json()) as { repositories: string[] }).repositories).toEqual([all.repositories[0]]);
    expect(first.headers.get('link')).toBe(
      `</v2/_catalog?n=1&last=${encodeURIComponent(all.repositories[0]!)}>; rel="next"`,
    );
    const rest = (await (await get(`/v2/_catalog?n=100&last=${all.repositories[0]}`)).json()) as {
      repositories: string[];
    };
    expect(rest.repositories).toEqual(all.repositories.slice(1));
  });

  describe('a private distribution', () => {
    const basic = (password = ADMIN_PASSWORD) =>
      `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
    const tokenFor = async (authorization?: string) => {
      const response = await get(`/token?service=wharf-registry&scope=repository:private/app:pull`, {
        headers: authorization ? { Authorization: authorization } : {},
      });
      return { status: response.status, body: (await response.json()) as { token?: string } };
    };

    beforeAll(async () => {
      await distribute({
        name: 'private',
        basePath: 'private/app',
        repositoryId: appRepository,
        private: true,
      });
    });

    it('challenges anonymous clients to fetch a token, naming the scope they need', async () => {
      const response = await get('/v2/private/app/tags/list');
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe(
        `Bearer realm="${registry}/token",service="wharf-registry",scope="repository:private/app:pull"`,
      );
      expect(await errorCode(response)).toBe('UNAUTHORIZED');
      const anonymous = await tokenFor();
      expect(anonymous.status).toBe(200);
      const refused = await get('/v2/private/app/tags/list', {
        headers: { Authorization: `Bearer ${anonymous.body.token!}` },
      });
      expect(refused.status).toBe(401);
    });

    it('serves the admin, with a token or with Basic credentials, and no one with a wrong password', async () => {
      expect((await tokenFor(basic('wrong'))).status).toBe(401);
      const { body } = await tokenFor(basic());
      const withToken = await get('/v2/private/app/tags/list', {
        headers: { Authorization: `Bearer ${body.token!}` },
      });
      expect(withToken.status).toBe(200);
      expect(((await withToken.json()) as { tags: string[] }).tags).toContain('v1');
      const withBasic = await get(
        `/v2/private/app/manifests/v1`,
        accepting(ACCEPT_ALL, { headers: { Authorization: basic() } }),
      );
      expect(withBasic.headers.get('docker-content-digest')).toBe(ociImage.digest);
      expect(
        (await get('/v2/private/app/tags/list', { headers: { Authorization: basic('wrong') } })).status,
      ).toBe(401);
      // A token for one name opens no other private name.
      await distribute({
        name: 'private2',
        basePath: 'private/other',
        repositoryId: appRepository,
        private: true,
      });
      const elsewhere = await get('/v2/private/other/tags/list', {
        headers: { Authorization: `Bearer ${body.token!}` },
      });
      expect(elsewhere.status).toBe(401);
    });

    it('is left out of the catalog', async () => {
      const { repositories } = (await (await get('/v2/_catalog')).json()) as { repositories: string[] };
      expect(repositories).not.toContain('private/app');
    });
  });

  describe('with skopeo as the client', () => {
    const skopeo = promisify(execFile);
    let skopeoBinary: string;
    let outDir: string;

    beforeAll(() => {
      skopeoBinary = requireBinary('skopeo', 'skopeo');
      outDir = mkdtempSync(join(tmpdir(), 'wharf-skopeo-'));
    });

    afterAll(() => rmSync(outDir, { recursive: true, force: true }));

    const reference = (tag: string) => `docker://${registry.replace('http://', '')}/team/app:${tag}`;

    it('inspects an image by tag', async () => {
      const { stdout } = await skopeo(skopeoBinary, ['inspect', '--tls-verify=false', reference('v1')]);
      const inspected = JSON.parse(stdout) as { Digest: string; Layers: string[]; Architecture: string };
      expect(inspected.Digest).toBe(ociImage.digest);
      expect(inspected.Layers).toEqual(ociImage.layers.map((l) => l.digest));
      expect(inspected.Architecture).toBe('amd64');
    });

    it('inspects a private image with the admin’s credentials, through the token endpoint', async () => {
      const privateReference = `docker://${registry.replace('http://', '')}/private/app:v1`;
      await expect(
        skopeo(skopeoBinary, ['inspect', '--tls-verify=false', '--no-creds', privateReference]),
      ).rejects.toThrow(/unauthorized|authentication required/i);
      const { stdout } = await skopeo(skopeoBinary, [
        'inspect',
        '--tls-verify=false',
        `--creds=admin:${ADMIN_PASSWORD}`,
        privateReference,
      ]);
      expect((JSON.parse(stdout) as { Digest: string }).Digest).toBe(ociImage.digest);
    });

    it('copies a multi-arch index with all its images, byte for byte', async () => {
      const target = join(outDir, 'multi');
      await skopeo(
        skopeoBinary,
        ['copy', '--all', '--src-tls-verify=false', reference('multi'), `oci:${target}:multi`],
        { timeout: 60_000 },
      );
      const layout = JSON.parse(readFileSync(join(target, 'index.json'), 'utf8')) as {
        manifests: { digest: string }[];
      };
      expect(layout.manifests.map((m) => m.digest)).toEqual([multiArch.digest]);
      const stored = (digest: string) => readFileSync(join(target, 'blobs', ...digest.split(':')));
      for (const item of [...manifestsOf(multiArch), ...blobsOf(multiArch)]) {
        expect(stored(item.digest).equals(Buffer.from(item.bytes)), item.digest).toBe(true);
      }
    });
  });
});
