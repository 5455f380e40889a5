import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  artifactManifest,
  blobsOf,
  fixtureBlob,
  multiPlatformImage,
  pushImage,
  randomImage,
  schema1Manifest,
  sha256Of,
  startDockerRegistry,
  startRegistryFront,
  type DockerRegistryAuth,
  type FixtureManifest,
  type StartedDockerRegistry,
} from '@wharf/testing';
import {
  DigestMismatchError,
  RegistryClient,
  RegistryError,
  type RegistryClientOptions,
  type RequestKind,
} from './index.js';

const REPOSITORY = 'wharf/images';
const platforms = [
  { os: 'linux', architecture: 'amd64' },
  { os: 'linux', architecture: 'arm64', variant: 'v8' },
];

/** Every kind of manifest docker-registry 2.x stores, by tag. */
function fixtures(): Record<string, FixtureManifest> {
  return {
    'oci-image': randomImage({ format: 'oci' }),
    'docker-image': randomImage({ format: 'docker' }),
    'oci-index': multiPlatformImage(platforms, { format: 'oci' }),
    'docker-list': multiPlatformImage(platforms, { format: 'docker' }),
    artifact: artifactManifest(),
  };
}

async function readAll(stream: Readable): Promise<Buffer> {
  return Buffer.concat(await stream.toArray());
}

const expectedScheme = { none: 'none', htpasswd: 'basic', token: 'bearer' } as const;

describe.each<DockerRegistryAuth>(['none', 'htpasswd', 'token'])(
  'RegistryClient against docker-registry (auth: %s)',
  (auth) => {
    let registry: StartedDockerRegistry;
    const images = fixtures();
    const catalogRepositories = ['wharf/catalog-a', 'wharf/catalog-b', 'wharf/catalog-c', 'wharf/catalog-d'];
    const clients: RegistryClient[] = [];

    function client(options: Partial<RegistryClientOptions> = {}): RegistryClient {
      const created = new RegistryClient({
        url: registry.url,
        ...(auth !== 'none' && { username: registry.username, password: registry.password }),
        ...options,
      });
      clients.push(created);
      return created;
    }

    function countingClient(options: Partial<RegistryClientOptions> = {}) {
      const requests: Array<[string, RequestKind, string]> = [];
      return { client: client({ ...options, onRequest: (...request) => requests.push(request) }), requests };
    }

    beforeAll(async () => {
      registry = await startDockerRegistry({ auth });
      for (const [tag, image] of Object.entries(images)) await pushImage(registry, REPOSITORY, tag, image);
      for (const name of catalogRepositories)
        await pushImage(registry, name, 'latest', randomImage({ layers: 1 }));
    });

    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await registry?.stop();
    });

    it('ping reports how the registry authenticates and accepts the credentials', async () => {
      const result = await client().ping();
      expect(result).toEqual({ authScheme: expectedScheme[auth], apiVersion: 'registry/2.0' });
    });

    it('lists the catalog across pages of two, following Link headers', async () => {
      const { client: counted, requests } = countingClient();
      const repositories: string[] = [];
      for await (const name of counted.listRepositories({ pageSize: 2 })) repositories.push(name);
      expect(repositories.sort()).toEqual([...catalogRepositories, REPOSITORY].sort());
      const pages = new Set(requests.filter(([, kind]) => kind === 'catalog').map(([, , url]) => url));
      expect(pages.size).toBe(3);
      for (const page of pages) expect(new URL(page).searchParams.get('n')).toBe('2');
    });

    it('lists every tag of a repository (docker-registry 2.8 answers in one page, ignoring n)', async () => {
      const { client: counted, requests } = countingClient();
      const tags: string[] = [];
      for await (const tag of counted.listTags(REPOSITORY, { pageSize: 2 })) tags.push(tag);
      expect(tags.sort()).toEqual(Object.keys(images).sort());
      expect(new Set(requests.filter(([, kind]) => kind === 'tags').map(([, , url]) => url)).size).toBe(1);
    });

    it('pages through tags with n=2 and Link rel="next" where the registry pages them', async () => {
      const front = await startRegistryFront(registry);
      try {
        const { client: counted, requests } = countingClient({ url: front.url });
        const tags: string[] = [];
        for await (const tag of counted.listTags(REPOSITORY, { pageSize: 2 })) tags.push(tag);
        expect(tags).toEqual(Object.keys(images).sort());
        const pages = requests.filter(([, kind]) => kind === 'tags').map(([, , url]) => new URL(url).search);
        expect([...new Set(pages)]).toEqual(['?n=2', '?n=2&last=docker-image', '?n=2&last=oci-image']);
      } finally {
        await front.stop();
      }
    });

    it('fetches every kind of manifest by tag and by digest, byte for byte', async () => {
      const c = client();
      for (const [tag, image] of Object.entries(images)) {
        for (const reference of [tag, image.digest]) {
          const manifest = await c.getManifest(REPOSITORY, reference);
          expect(manifest.mediaType, `${tag} via ${reference}`).toBe(image.mediaType);
          expect(manifest.digest, `${tag} via ${reference}`).toBe(image.digest);
          expect(Buffer.compare(manifest.bytes, Buffer.from(image.bytes)), `${tag} via ${reference}`).toBe(0);
        }
      }
    });

    it('fetches the manifests an index lists by their digests', async () => {
      const index = images['oci-index'];
      if (index.kind !== 'index') throw new Error('fixture is not an index');
      for (const child of index.manifests) {
        const manifest = await client().getManifest(REPOSITORY, child.digest);
        expect(manifest.digest).toBe(child.digest);
        expect(manifest.mediaType).toBe(child.mediaType);
      }
    });

    it('reports digest, media type and size of manifests from HEAD, and undefined for unknown tags', async () => {
      const c = client();
      for (const [tag, image] of Object.entries(images)) {
        expect(await c.headManifest(REPOSITORY, tag)).toEqual({
          digest: image.digest,
          mediaType: image.mediaType,
          size: image.size,
        });
      }
      expect(await c.headManifest(REPOSITORY, 'no-such-tag')).toBeUndefined();
    });

    it('names registry, repository, reference and the registry error code when a manifest is missing', async () => {
      const error = await client()
        .getManifest(REPOSITORY, 'no-such-tag')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryError);
      expect(error).toMatchObject({ status: 404, code: 'MANIFEST_UNKNOWN', repository: REPOSITORY });
      expect((error as Error).message).toBe(
        `GET manifest ${REPOSITORY}:no-such-tag from ${registry.url}: 404 MANIFEST_UNKNOWN`,
      );
    });

    it('handles Docker schema 1 as far as the registry takes it', async () => {
      const c = client();
      const signed = schema1Manifest({ name: REPOSITORY, tag: 'schema1' });
      if (!registry.acceptsSchema1) {
        await expect(pushImage(registry, REPOSITORY, 'schema1', signed)).rejects.toThrow(/expected 201/);
        return;
      }
      await pushImage(registry, REPOSITORY, 'schema1', signed);
      const { signatures: _pushedSignatures, ...pushedPayload } = signed.document;
      for (const reference of ['schema1', signed.digest]) {
        const manifest = await c.getManifest(REPOSITORY, reference);
        expect(manifest.mediaType).toBe('application/vnd.docker.distribution.manifest.v1+prettyjws');
        // docker-registry re-signs schema 1 manifests with its own key: the signatures change, the payload
        // (and with it the digest registries name the manifest by) does not.
        const { signatures, ...payload } = JSON.parse(manifest.bytes.toString('utf8')) as Record<
          string,
          unknown
        >;
        expect(payload).toEqual(pushedPayload);
        expect(signatures).toHaveLength(1);
        expect(manifest.digest).toBe(signed.digest);
        expect(sha256Of(manifest.bytes)).not.toBe(manifest.digest);
      }
      // docker-registry refuses unsigned schema 1 outright.
      const unsigned = schema1Manifest({ name: REPOSITORY, tag: 'unsigned', signed: false });
      const error = await c
        .putManifest(REPOSITORY, 'unsigned', unsigned.bytes, unsigned.mediaType)
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'RegistryError', status: 400, code: 'MANIFEST_INVALID' });
    });

    it('streams blobs verified against their digest, and reports their sizes', async () => {
      const c = client();
      for (const blob of blobsOf(images['oci-index'])) {
        expect(await c.headBlob(REPOSITORY, blob.digest)).toBe(blob.size);
        const stream = await c.getBlob(REPOSITORY, blob.digest);
        expect(stream.size).toBe(blob.size);
        expect(Buffer.compare(await readAll(stream), Buffer.from(blob.bytes))).toBe(0);
      }
      const unknown = fixtureBlob(randomBytes(16), 'application/octet-stream');
      expect(await c.headBlob(REPOSITORY, unknown.digest)).toBeUndefined();
      expect(await c.blobExists(REPOSITORY, unknown.digest)).toBe(false);
      await expect(c.getBlob(REPOSITORY, unknown.digest)).rejects.toMatchObject({
        status: 404,
        code: 'BLOB_UNKNOWN',
      });
    });

    it('fails a download with DigestMismatchError naming the digest when the stored bytes are corrupt', async () => {
      const image = randomImage({ layers: 1, layerSize: 64 * 1024 });
      await pushImage(registry, 'wharf/corrupt', 'latest', image);
      const layer = image.layers[0];
      // Same length, different bytes: only the digest can tell.
      writeFileSync(registry.blobDataPath(layer.digest), randomBytes(layer.size));
      const stream = await client().getBlob('wharf/corrupt', layer.digest);
      const error = await readAll(stream).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DigestMismatchError);
      expect(error).toMatchObject({ expected: layer.digest, repository: 'wharf/corrupt' });
      expect((error as Error).message).toContain(layer.digest);
      expect((error as DigestMismatchError).actual).not.toBe(layer.digest);
    });

    it('uploads blobs (streamed, or mounted from another repository) and pushes and deletes manifests', async () => {
      const c = client();
      const image = randomImage({ layers: 2 });
      const blobs = blobsOf(image);
      for (const blob of blobs) {
        const uploaded = await c.uploadBlob(
          'wharf/pushed',
          blob.digest,
          blob.size,
          Readable.from([blob.bytes]),
        );
        expect(uploaded).toEqual({ digest: blob.digest, mounted: false });
      }
      expect(await c.blobExists('wharf/pushed', image.config.digest)).toBe(true);
      for (const blob of blobs) {
        // A stream the mount makes unnecessary is still closed: it may hold a file open.
        const unread = Readable.from([blob.bytes]);
        const mounted = await c.uploadBlob('wharf/mounted', blob.digest, blob.size, unread, {
          mountFrom: 'wharf/pushed',
        });
        expect(mounted).toEqual({ digest: blob.digest, mounted: true });
        expect(unread.destroyed).toBe(true);
      }
      expect(await c.putManifest('wharf/mounted', 'v1', image.bytes, image.mediaType)).toBe(image.digest);
      const fetched = await c.getManifest('wharf/mounted', 'v1');
      expect(Buffer.compare(fetched.bytes, Buffer.from(image.bytes))).toBe(0);
      const layer = await c.getBlob('wharf/mounted', image.layers[0].digest);
      expect(Buffer.compare(await readAll(layer), Buffer.from(image.layers[0].bytes))).toBe(0);

      expect(await c.deleteManifest('wharf/mounted', image.digest)).toBe(true);
      expect(await c.headManifest('wharf/mounted', image.digest)).toBeUndefined();
      expect(await c.deleteManifest('wharf/mounted', image.digest)).toBe(false);
    });

    it('uploads a blob in chunks (PATCH per chunk, then PUT ?digest=) that reads back byte for byte', async () => {
      const { client: c, requests } = countingClient();
      const blob = fixtureBlob(randomBytes(10_000), 'application/octet-stream');
      const opened: Array<[number, number]> = [];
      const uploaded = await c.uploadBlobInChunks(
        'wharf/chunked',
        blob.digest,
        blob.size,
        4096,
        async (s, e) => {
          opened.push([s, e]);
          return Readable.from([Buffer.from(blob.bytes.subarray(s, e + 1))]);
        },
      );
      expect(uploaded).toEqual({ digest: blob.digest, mounted: false });
      expect(opened).toEqual([
        [0, 4095],
        [4096, 8191],
        [8192, 9999],
      ]);
      expect(requests.filter(([method]) => method === 'PATCH')).toHaveLength(3);
      const stored = await c.getBlob('wharf/chunked', blob.digest);
      expect(Buffer.compare(await readAll(stored), Buffer.from(blob.bytes))).toBe(0);
    });

    it('refuses a chunked upload whose bytes do not match the digest, and nothing becomes visible', async () => {
      const claimed = fixtureBlob(randomBytes(5000), 'application/octet-stream');
      const other = randomBytes(5000);
      const error = await client()
        .uploadBlobInChunks('wharf/chunked', claimed.digest, 5000, 2048, async (s, e) =>
          Readable.from([other.subarray(s, e + 1)]),
        )
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 400, code: 'DIGEST_INVALID' });
      expect(await client().blobExists('wharf/chunked', claimed.digest)).toBe(false);
    });

    it('mounts a blob another repository holds, and answers false (no blob) when the source lacks it', async () => {
      const c = client();
      const blob = fixtureBlob(randomBytes(300), 'application/octet-stream');
      await c.uploadBlob('wharf/mount-source', blob.digest, blob.size, blob.bytes);
      expect(await c.mountBlob('wharf/mount-target', blob.digest, 'wharf/mount-source')).toBe(true);
      expect(await c.headBlob('wharf/mount-target', blob.digest)).toBe(300);
      const missing = fixtureBlob(randomBytes(300), 'application/octet-stream');
      expect(await c.mountBlob('wharf/mount-target', missing.digest, 'wharf/mount-source')).toBe(false);
      expect(await c.blobExists('wharf/mount-target', missing.digest)).toBe(false);
    });

    it('lists the tags a push created and deletes the manifest a tag points at', async () => {
      const c = client();
      const image = randomImage({ layers: 1 });
      for (const blob of blobsOf(image))
        await c.uploadBlob('wharf/tagged', blob.digest, blob.size, blob.bytes);
      await c.putManifest('wharf/tagged', 'one', image.bytes, image.mediaType);
      await c.putManifest('wharf/tagged', 'two', image.bytes, image.mediaType);
      const tags = [];
      for await (const tag of c.listTags('wharf/tagged')) tags.push(tag);
      expect(tags.sort()).toEqual(['one', 'two']);
      expect(await c.deleteManifest('wharf/tagged', image.digest)).toBe(true);
      expect(await c.headManifest('wharf/tagged', 'one')).toBeUndefined();
    });

    it('refuses an upload whose bytes do not match the digest', async () => {
      const claimed = fixtureBlob(randomBytes(32), 'application/octet-stream');
      const error = await client()
        .uploadBlob('wharf/pushed', claimed.digest, 32, randomBytes(32))
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 400, code: 'DIGEST_INVALID' });
      expect((error as Error).message).toContain(`PUT blob wharf/pushed@${claimed.digest}`);
    });

    it('counts upstream requests by kind', async () => {
      const { client: counted, requests } = countingClient();
      const image = images['docker-image'];
      if (image.kind !== 'image') throw new Error('fixture is not an image');
      await counted.getManifest(REPOSITORY, 'docker-image');
      for (const blob of [image.config, ...image.layers])
        await readAll(await counted.getBlob(REPOSITORY, blob.digest));
      const byKind: Partial<Record<RequestKind, number>> = {};
      for (const [, kind] of requests) byKind[kind] = (byKind[kind] ?? 0) + 1;
      // The first request learns the challenge (a 401) and is repeated with credentials; one token covers the pull.
      const expected = {
        none: { manifest: 1, blob: 3 },
        htpasswd: { manifest: 2, blob: 3 },
        token: { manifest: 2, token: 1, blob: 3 },
      }[auth];
      expect(byKind).toEqual(expected);
    });
  },
);
