import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { BlobStore } from '@wharf/ports';
import { createProcessApplication, loadSettings, Queries } from '@wharf/runtime';
import { ContentModule } from '@wharf/service-content';
import { TasksModule } from '@wharf/service-tasks';
import { PublicationModule } from '@wharf/service-publication';
import {
  artifactManifest,
  blobsOf,
  descriptorOf,
  fixtureBlob,
  manifestsOf,
  multiPlatformImage,
  pushImage,
  randomImage,
  sha256Of,
  type FixtureManifest,
} from '@wharf/testing';
import { DistributionModule } from './distribution.module.js';
import { RegistryServer } from './registry/registry.server.js';
import { RegistryUploadSweeper } from './registry/registry-upload.sweeper.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const ACCEPT_ALL = [OCI_INDEX, OCI_MANIFEST, 'application/vnd.docker.distribution.manifest.v2+json'].join(
  ', ',
);
const ADMIN_PASSWORD = randomBytes(12).toString('hex');
const BASIC = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;

/**
 * The push side of the registry API (OCI distribution spec v1.1, push and content management) of an
 * in-process Wharf on embedded adapters, driven over HTTP as a client would.
 */
describe('the registry API (push)', () => {
  let dataDir: string;
  let app: INestApplication;
  let queries: Queries;
  let registry: string;

  const call = (path: string, init: RequestInit = {}) =>
    fetch(new URL(path, registry), {
      ...init,
      headers: { Authorization: BASIC, ...(init.headers as Record<string, string>) },
    });
  const errorOf = async (response: Response) =>
    ((await response.json()) as { errors: { code: string; message: string }[] }).errors[0]!;

  /** The repository a name's distribution serves, with its latest version's number. */
  const repositoryOf = async (name: string) => {
    const page = await queries.ask('distribution.list', { basePath: name, offset: 0, limit: 1 });
    const distribution = page.results[0];
    if (!distribution?.repositoryId) throw new Error(`no distribution serves a repository at ${name}`);
    return queries.ask('content.repository.get', { id: distribution.repositoryId });
  };

  const unitsOf = async (name: string) => {
    const repository = await repositoryOf(name);
    const page = await queries.ask('content.version.units', {
      repositoryId: repository.id,
      version: repository.latestVersion,
      membership: 'present',
      limit: 1000,
    });
    return page.items;
  };

  const uploadBlob = async (name: string, bytes: Uint8Array) => {
    const response = await call(`/v2/${name}/blobs/uploads/?digest=${sha256Of(bytes)}`, {
      method: 'POST',
      body: bytes,
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    expect(response.status).toBe(201);
  };

  const pushAll = async (name: string, tag: string, image: FixtureManifest) =>
    pushImage(
      {
        url: registry,
        authorizationFor: () => BASIC,
      } as unknown as Parameters<typeof pushImage>[0],
      name,
      tag,
      image,
    );

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-push-'));
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
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  describe('credentials', () => {
    it('challenges a push without credentials, naming the pull,push scope', async () => {
      const response = await fetch(`${registry}/v2/team/new/blobs/uploads/`, { method: 'POST' });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe(
        `Bearer realm="${registry}/token",service="wharf-registry",scope="repository:team/new:pull,push"`,
      );
      expect((await errorOf(response)).code).toBe('UNAUTHORIZED');
    });

    it('lets a token with push scope push, and an anonymous or pull-only token not', async () => {
      const tokenFor = async (scope: string, authorization?: string) => {
        const response = await fetch(`${registry}/token?service=wharf-registry&scope=${scope}`, {
          headers: authorization ? { Authorization: authorization } : {},
        });
        return ((await response.json()) as { token: string }).token;
      };
      const start = (token: string) =>
        fetch(`${registry}/v2/tokens/app/blobs/uploads/`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}` },
        });
      expect((await start(await tokenFor('repository:tokens/app:pull,push'))).status).toBe(401);
      expect((await start(await tokenFor('repository:tokens/app:pull', BASIC))).status).toBe(401);
      expect((await start(await tokenFor('repository:tokens/other:push', BASIC))).status).toBe(401);
      expect((await start(await tokenFor('repository:tokens/app:pull,push', BASIC))).status).toBe(202);
    });
  });

  describe('blob uploads', () => {
    it('stores a monolithic upload (POST with digest) and refuses one whose bytes do not match', async () => {
      const bytes = randomBytes(3000);
      const digest = sha256Of(bytes);
      const stored = await call(`/v2/mono/app/blobs/uploads/?digest=${digest}`, {
        method: 'POST',
        body: bytes,
      });
      expect(stored.status).toBe(201);
      expect(stored.headers.get('location')).toBe(`/v2/mono/app/blobs/${digest}`);
      expect(stored.headers.get('docker-content-digest')).toBe(digest);

      const other = sha256Of(randomBytes(10));
      const refused = await call(`/v2/mono/app/blobs/uploads/?digest=${other}`, {
        method: 'POST',
        body: bytes.subarray(1),
      });
      expect(refused.status).toBe(400);
      expect((await errorOf(refused)).code).toBe('DIGEST_INVALID');
      expect(await app.get(BlobStore, { strict: false }).stat(other)).toBeUndefined();
    });

    it('takes chunks in order, reports progress, refuses a chunk out of order, and finishes with a digest', async () => {
      const bytes = randomBytes(10_000);
      const digest = sha256Of(bytes);
      const started = await call('/v2/chunked/app/blobs/uploads/', { method: 'POST' });
      expect(started.status).toBe(202);
      const location = started.headers.get('location')!;
      expect(location).toMatch(/^\/v2\/chunked\/app\/blobs\/uploads\/[0-9a-f-]+$/);
      expect(started.headers.get('range')).toBe('0-0');
      expect(started.headers.get('docker-upload-uuid')).toBe(location.split('/').at(-1));

      const first = await call(location, {
        method: 'PATCH',
        body: bytes.subarray(0, 4000),
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': '0-3999' },
      });
      expect(first.status).toBe(202);
      expect(first.headers.get('range')).toBe('0-3999');
      expect(first.headers.get('location')).toBe(location);

      const gap = await call(location, {
        method: 'PATCH',
        body: bytes.subarray(5000, 6000),
        headers: { 'Content-Range': '5000-5999' },
      });
      expect(gap.status).toBe(416);
      expect(gap.headers.get('range')).toBe('0-3999');

      const status = await call(location);
      expect(status.status).toBe(204);
      expect(status.headers.get('range')).toBe('0-3999');
      expect(status.headers.get('location')).toBe(location);

      const second = await call(location, {
        method: 'PATCH',
        body: bytes.subarray(4000, 9000),
        headers: { 'Content-Range': '4000-8999' },
      });
      expect(second.headers.get('range')).toBe('0-8999');
      const finished = await call(`${location}?digest=${digest}`, {
        method: 'PUT',
        body: bytes.subarray(9000),
      });
      expect(finished.status).toBe(201);
      expect(finished.headers.get('location')).toBe(`/v2/chunked/app/blobs/${digest}`);
      expect(finished.headers.get('docker-content-digest')).toBe(digest);
      expect((await call(location)).status).toBe(404);
    });

    it('streams a PATCH without Content-Range and refuses a finish whose digest does not match', async () => {
      const bytes = randomBytes(20_000);
      const started = await call('/v2/streamed/app/blobs/uploads/', { method: 'POST' });
      const location = started.headers.get('location')!;
      const patched = await call(location, { method: 'PATCH', body: bytes });
      expect(patched.headers.get('range')).toBe('0-19999');
      const wrong = sha256Of(bytes.subarray(1));
      const refused = await call(`${location}?digest=${wrong}`, { method: 'PUT' });
      expect(refused.status).toBe(400);
      expect((await errorOf(refused)).code).toBe('DIGEST_INVALID');
      expect(await app.get(BlobStore, { strict: false }).stat(wrong)).toBeUndefined();
      expect(await app.get(BlobStore, { strict: false }).stat(sha256Of(bytes))).toBeUndefined();
    });

    it('cancels an upload, after which the session is unknown', async () => {
      const started = await call('/v2/cancel/app/blobs/uploads/', { method: 'POST' });
      const location = started.headers.get('location')!;
      expect((await call(location, { method: 'DELETE' })).status).toBe(204);
      const gone = await call(location);
      expect(gone.status).toBe(404);
      expect((await errorOf(gone)).code).toBe('BLOB_UPLOAD_UNKNOWN');
    });

    it('aborts a session abandoned past the upload expiry, and no younger one', async () => {
      const location = (await call('/v2/sweep/app/blobs/uploads/', { method: 'POST' })).headers.get(
        'location',
      )!;
      const sweeper = app.get(RegistryUploadSweeper);
      await sweeper.sweep(new Date());
      expect((await call(location)).status).toBe(204);
      await sweeper.sweep(new Date(Date.now() + 30 * 24 * 3600_000));
      expect((await call(location)).status).toBe(404);
    });

    it('mounts a blob from a repository that holds it (201), and starts an upload when it cannot (202)', async () => {
      const image = randomImage({ layers: 1 });
      await pushAll('mount/source', 'v1', image);
      const layer = image.layers[0]!.digest;
      const mounted = await call(`/v2/mount/target/blobs/uploads/?mount=${layer}&from=mount/source`, {
        method: 'POST',
      });
      expect(mounted.status).toBe(201);
      expect(mounted.headers.get('location')).toBe(`/v2/mount/target/blobs/${layer}`);
      expect(mounted.headers.get('docker-content-digest')).toBe(layer);

      const unknown = sha256Of(randomBytes(8));
      const fallback = await call(`/v2/mount/target/blobs/uploads/?mount=${unknown}&from=mount/source`, {
        method: 'POST',
      });
      expect(fallback.status).toBe(202);
      expect(fallback.headers.get('location')).toMatch(/^\/v2\/mount\/target\/blobs\/uploads\//);
    });
  });

  describe('manifests', () => {
    it('creates repository and distribution on the first push, one new version per image, pullable back', async () => {
      const image = randomImage({ layers: 2 });
      await pushAll('fresh/app', 'v1', image);
      const repository = await repositoryOf('fresh/app');
      expect(repository.name).toBe('fresh/app');
      expect(repository.latestVersion).toBe(1);
      expect([...(await unitsOf('fresh/app'))].sort()).toEqual(
        [
          `manifest:${image.digest}`,
          `tag:v1@${image.digest}`,
          ...blobsOf(image).map((b) => `blob:${b.digest}`),
        ].sort(),
      );
      const pulled = await fetch(`${registry}/v2/fresh/app/manifests/v1`, {
        headers: { Accept: ACCEPT_ALL },
      });
      expect(pulled.status).toBe(200);
      expect(Buffer.from(await pulled.arrayBuffer()).equals(Buffer.from(image.bytes))).toBe(true);
      for (const blob of blobsOf(image)) {
        const body = await fetch(`${registry}/v2/fresh/app/blobs/${blob.digest}`);
        expect(Buffer.from(await body.arrayBuffer()).equals(Buffer.from(blob.bytes))).toBe(true);
      }

      const next = randomImage({ layers: 1 });
      await pushAll('fresh/app', 'v1', next);
      expect((await repositoryOf('fresh/app')).latestVersion).toBe(2);
      const retagged = await fetch(`${registry}/v2/fresh/app/manifests/v1`, {
        method: 'HEAD',
        headers: { Accept: ACCEPT_ALL },
      });
      expect(retagged.headers.get('docker-content-digest')).toBe(next.digest);
    });

    it('refuses a first push to a name whose base path would overlap another distribution’s', async () => {
      const image = randomImage({ layers: 1 });
      await pushAll('overlap/app', 'v1', image);
      const response = await call('/v2/overlap/app/nested/manifests/v1', {
        method: 'PUT',
        body: image.bytes,
        headers: { 'Content-Type': image.mediaType },
      });
      expect(response.status).toBe(403);
      const error = await errorOf(response);
      expect(error.code).toBe('DENIED');
      expect(error.message).toContain('overlap/app/nested');
      const repositories = await queries.ask('content.repository.list', {
        name: 'overlap/app/nested',
        offset: 0,
        limit: 1,
      });
      expect(repositories.count).toBe(0);
    });

    it('answers a manifest push with its location and digest, and OCI-Subject for a manifest with a subject', async () => {
      const image = randomImage({ layers: 1 });
      await pushAll('subject/app', 'v1', image);
      const signature = artifactManifest({ artifactType: 'application/vnd.wharf.signature', subject: image });
      for (const blob of blobsOf(signature)) await uploadBlob('subject/app', blob.bytes);
      const response = await call(`/v2/subject/app/manifests/${signature.digest}`, {
        method: 'PUT',
        body: signature.bytes,
        headers: { 'Content-Type': signature.mediaType },
      });
      expect(response.status).toBe(201);
      expect(response.headers.get('location')).toBe(`/v2/subject/app/manifests/${signature.digest}`);
      expect(response.headers.get('docker-content-digest')).toBe(signature.digest);
      expect(response.headers.get('oci-subject')).toBe(image.digest);
    });

    it('pushes a multi-arch index after its images', async () => {
      const index = multiPlatformImage([
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
      ]);
      await pushAll('multi/app', 'latest', index);
      const units = await unitsOf('multi/app');
      for (const manifest of manifestsOf(index)) expect(units).toContain(`manifest:${manifest.digest}`);
      expect(units).toContain(`tag:latest@${index.digest}`);
    });

    it.each([
      ['a blob it references was never pushed', 'MANIFEST_BLOB_UNKNOWN', 400, 'missing'],
      ['its Content-Type is not its media type', 'MANIFEST_INVALID', 400, 'type'],
      ['it is not a manifest', 'MANIFEST_INVALID', 400, 'garbage'],
      ['its digest is not the one in the path', 'DIGEST_INVALID', 400, 'digest'],
      ['it is over 4 MiB', 'SIZE_INVALID', 413, 'large'],
      ['it gives a blob the wrong size', 'MANIFEST_INVALID', 400, 'size'],
    ])('refuses a manifest when %s, and records nothing', async (_, code, status, kind) => {
      const image = randomImage({ layers: 1 });
      if (kind !== 'missing') for (const blob of blobsOf(image)) await uploadBlob('refused/app', blob.bytes);
      const wrongSize = Buffer.from(
        JSON.stringify({
          ...JSON.parse(Buffer.from(image.bytes).toString()),
          config: { ...descriptorOf(image.config), size: image.config.size + 1 },
        }),
      );
      const body =
        kind === 'size'
          ? wrongSize
          : kind === 'garbage'
            ? Buffer.from('{"hello": "world"}')
            : kind === 'large'
              ? Buffer.alloc(4 * 1024 * 1024 + 1, 32)
              : Buffer.from(image.bytes);
      const reference = kind === 'digest' ? sha256Of('other') : 'v1';
      const response = await call(`/v2/refused/app/manifests/${reference}`, {
        method: 'PUT',
        body,
        headers: { 'Content-Type': kind === 'type' ? OCI_INDEX : OCI_MANIFEST },
      });
      expect(response.status).toBe(status);
      expect((await errorOf(response)).code).toBe(code);
      const listed = await queries.ask('distribution.list', { basePath: 'refused/app', offset: 0, limit: 1 });
      expect(listed.count).toBe(0);
    });
  });

  it('answers every mangled form of a manifest with 201 or a spec error, never anything else', async () => {
    const image = randomImage({ layers: 1 });
    for (const blob of blobsOf(image)) await uploadBlob('fuzz/app', blob.bytes);
    const known = ['MANIFEST_INVALID', 'MANIFEST_BLOB_UNKNOWN', 'DIGEST_INVALID'];
    for (let i = 0; i < 40; i++) {
      const bytes = Buffer.from(image.bytes);
      const at = Math.floor(Math.random() * bytes.byteLength);
      const mangled =
        i % 3 === 0 ? bytes.subarray(0, at) : (bytes.writeUInt8(Math.floor(Math.random() * 256), at), bytes);
      const response = await call('/v2/fuzz/app/manifests/v1', {
        method: 'PUT',
        body: mangled,
        headers: { 'Content-Type': OCI_MANIFEST },
      });
      const what = `byte ${at} of ${mangled.toString('latin1')}`;
      if (response.status === 201) {
        const digest = response.headers.get('docker-content-digest')!;
        const served = await fetch(`${registry}/v2/fuzz/app/manifests/${digest}`, {
          headers: { Accept: ACCEPT_ALL },
        });
        expect(Buffer.from(await served.arrayBuffer()).equals(mangled), what).toBe(true);
      } else {
        expect(response.status, what).toBe(400);
        expect(known, what).toContain((await errorOf(response)).code);
      }
    }
  });

  describe('deletes', () => {
    it('removes a tag, then a manifest, each as a new version; unknown ones are 404', async () => {
      const image = randomImage({ layers: 1 });
      await pushAll('delete/app', 'v1', image);
      const untagged = await call('/v2/delete/app/manifests/v1', { method: 'DELETE' });
      expect(untagged.status).toBe(202);
      expect((await repositoryOf('delete/app')).latestVersion).toBe(2);
      expect(await unitsOf('delete/app')).toContain(`manifest:${image.digest}`);
      expect(await unitsOf('delete/app')).not.toContain(`tag:v1@${image.digest}`);

      const removed = await call(`/v2/delete/app/manifests/${image.digest}`, { method: 'DELETE' });
      expect(removed.status).toBe(202);
      expect(await unitsOf('delete/app')).toEqual([]);
      const again = await call(`/v2/delete/app/manifests/${image.digest}`, { method: 'DELETE' });
      expect(again.status).toBe(404);
      expect((await errorOf(again)).code).toBe('MANIFEST_UNKNOWN');
    });

    it('removes a blob no manifest needs, and refuses one a manifest still references', async () => {
      const image = randomImage({ layers: 1 });
      await pushAll('blobdelete/app', 'v1', image);
      const needed = await call(`/v2/blobdelete/app/blobs/${image.layers[0]!.digest}`, { method: 'DELETE' });
      expect(needed.status).toBe(405);
      expect((await errorOf(needed)).code).toBe('UNSUPPORTED');
      const loose = fixtureBlob(randomBytes(100), 'application/octet-stream');
      expect((await call(`/v2/blobdelete/app/blobs/${loose.digest}`, { method: 'DELETE' })).status).toBe(404);
    });
  });

  it('answers 405 with Allow for a method an endpoint does not take', async () => {
    const response = await call('/v2/_catalog', { method: 'POST' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET, HEAD');
    expect((await errorOf(response)).code).toBe('UNSUPPORTED');
  });
});
