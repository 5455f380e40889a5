import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  blobKey,
  manifestKey,
  tagKey,
  type CatalogUnit,
  type ListUnitsRequest,
  type ManifestUnit,
} from '@wharf/contracts';
import {
  artifactManifest,
  blobsOf,
  fixtureManifest,
  imageIndex,
  manifestsOf,
  randomImage,
  schema1Manifest,
  sha256Of,
  type FixtureManifest,
} from '@wharf/testing';
import { ContentHarness } from './testing/content-service.harness.js';

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

describe('content catalog (content service, embedded adapters)', () => {
  let content: ContentHarness;

  beforeEach(async () => {
    content = await ContentHarness.start();
  });

  afterEach(async () => {
    await content.close();
  });

  async function record(fixture: FixtureManifest): Promise<CatalogUnit> {
    for (const blob of blobsOf(fixture)) await content.storeBlob(blob.bytes);
    let last: CatalogUnit | undefined;
    for (const manifest of manifestsOf(fixture)) last = await content.recordManifest(manifest.bytes);
    return last!;
  }

  describe('manifests', () => {
    it('records an image with its facts, labels from its config, references and exact bytes', async () => {
      const image = randomImage({
        layers: 2,
        platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
        labels: { 'org.opencontainers.image.title': 'demo' },
        annotations: { 'com.example.note': 'kept' },
      });

      const unit = (await record(image)) as ManifestUnit;

      expect(unit).toMatchObject({
        key: manifestKey(image.digest),
        type: 'manifest',
        digest: image.digest,
        bytesDigest: image.digest,
        size: image.size,
      });
      expect([...unit.references].sort()).toEqual(
        [image.config, ...image.layers].map((blob) => blobKey(blob.digest)).sort(),
      );
      expect(unit.manifest).toMatchObject({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        schemaVersion: 2,
        kind: 'image',
        configDigest: image.config.digest,
        layerDigests: image.layers.map((layer) => layer.digest),
        labels: { 'org.opencontainers.image.title': 'demo' },
        annotations: { 'com.example.note': 'kept' },
        os: 'linux',
        architecture: 'arm64',
      });
      expect(await readAll(await content.blobs.get(image.digest))).toEqual(Buffer.from(image.bytes));
      expect(await content.ask('content.unit.get', { key: unit.key })).toEqual(unit);
    });

    it('records no labels when the config blob is not stored yet (blobs come before manifests)', async () => {
      const image = randomImage({ labels: { team: 'a' } });

      const unit = await content.recordManifest(image.bytes);

      expect(unit.manifest?.labels).toEqual({});
    });

    it('records an index with the manifests it lists and their platforms', async () => {
      const amd64 = randomImage({ platform: { os: 'linux', architecture: 'amd64' } });
      const arm64 = randomImage({ format: 'docker', platform: { os: 'linux', architecture: 'arm64' } });
      const index = imageIndex([amd64, arm64], { format: 'docker' });

      const unit = await record(index);

      expect(unit.manifest).toMatchObject({
        mediaType: 'application/vnd.docker.distribution.manifest.list.v2+json',
        kind: 'list',
        listed: [
          { digest: amd64.digest, platform: { os: 'linux', architecture: 'amd64' } },
          { digest: arm64.digest, platform: { os: 'linux', architecture: 'arm64' } },
        ],
      });
      expect([...unit.references].sort()).toEqual(
        [manifestKey(amd64.digest), manifestKey(arm64.digest)].sort(),
      );
    });

    it('records an artifact with its type and subject, without making the subject a reference', async () => {
      const image = randomImage();
      await record(image);
      const signature = artifactManifest({ artifactType: 'application/vnd.example.sig', subject: image });

      const unit = await record(signature);

      expect(unit.manifest).toMatchObject({
        kind: 'artifact',
        artifactType: 'application/vnd.example.sig',
        subjectDigest: image.digest,
      });
      expect(unit.references).not.toContain(manifestKey(image.digest));
    });

    it('keys a signed schema 1 manifest by its payload digest and keeps its signed bytes verbatim', async () => {
      const signed = schema1Manifest({ signed: true, labels: { legacy: 'yes' } });

      const unit = (await record(signed)) as ManifestUnit;

      expect(unit.key).toBe(manifestKey(signed.digest));
      expect(unit.bytesDigest).toBe(signed.bytesDigest);
      expect(unit.bytesDigest).not.toBe(signed.digest);
      expect(unit.manifest).toMatchObject({ schemaVersion: 1, labels: { legacy: 'yes' } });
      expect(await readAll(await content.blobs.get(unit.bytesDigest))).toEqual(Buffer.from(signed.bytes));

      const unsigned = (await record(schema1Manifest({ signed: false }))) as ManifestUnit;
      expect(unsigned.bytesDigest).toBe(unsigned.digest);
    });

    it('keeps the first record of a manifest recorded twice', async () => {
      const image = randomImage();
      const first = await record(image);

      const again = await content.recordManifest(image.bytes);

      expect(again).toEqual(first);
    });

    it('refuses a manifest that is not valid, naming the field, and records nothing', async () => {
      const broken = fixtureManifest({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: 'sha256:nope', size: 2 },
        layers: [],
      });

      await expect(content.recordManifest(broken.bytes)).rejects.toMatchObject({
        remoteName: 'ValidationError',
        message: expect.stringMatching(/manifest: .*config\.digest/),
      });
      expect(await content.index.getUnits([manifestKey(broken.digest)])).toEqual([]);
    });
  });

  describe('blobs', () => {
    it('records a blob the blob store holds, at its stored size', async () => {
      const unit = await content.storeBlob(Buffer.from('layer bytes'));

      expect(unit).toMatchObject({
        key: blobKey(sha256Of('layer bytes')),
        type: 'blob',
        size: 11,
        references: [],
      });
    });

    it('refuses a blob whose bytes are missing or of another size, naming the digest', async () => {
      const missing = sha256Of('never stored');
      await expect(content.ask('content.blob.record', { digest: missing, size: 12 })).rejects.toMatchObject({
        remoteName: 'ValidationError',
        details: { digest: [`blob ${missing} is not in the blob store.`] },
      });

      const stored = await content.storeBlob(Buffer.from('four'));
      await expect(
        content.ask('content.blob.record', { digest: stored.digest, size: 5 }),
      ).rejects.toMatchObject({
        details: { digest: [`blob ${stored.digest} has 4 bytes in the blob store, not 5.`] },
      });
      await expect(
        content.ask('content.blob.record', { digest: 'sha256:xyz', size: 1 }),
      ).rejects.toMatchObject({
        remoteName: 'ValidationError',
      });
    });
  });

  describe('on_demand blobs', () => {
    const source = { remoteId: 'remote-1', upstreamName: 'team/app' };

    it('records layers without their bytes, remembering the remote, and versions hold them like any blob', async () => {
      const image = randomImage({ layers: 2 });
      await content.storeBlob(image.config.bytes);
      for (const layer of image.layers) {
        await content.ask('content.blob.record', {
          digest: layer.digest,
          size: layer.size,
          onDemand: source,
        });
      }
      await content.recordManifest(image.bytes);
      const repository = await content.createRepository('lazy');
      const other = await content.createRepository('copy');

      await content.ask('content.version.add', {
        repositoryId: repository.id,
        units: [manifestKey(image.digest)],
      });
      await content.ask('content.version.copy_manifests', {
        repositoryId: other.id,
        source: { repositoryId: repository.id },
      });

      for (const layer of image.layers) {
        expect(await content.blobs.stat(layer.digest)).toBeUndefined();
        expect(await content.ask('content.unit.get', { key: blobKey(layer.digest) })).toMatchObject({
          size: layer.size,
          onDemand: source,
        });
      }
      const held = await content.versionKeys(other.id, 1, 'present', 'blob');
      expect(held).toEqual([image.config, ...image.layers].map((blob) => blobKey(blob.digest)).sort());
      const diff = await content.ask('content.version.diff', {
        repositoryId: repository.id,
        from: 0,
        to: 1,
        limit: 10,
      });
      expect(diff.items.map((item) => item.key)).toEqual(expect.arrayContaining(held));
    });

    it('refuses an on_demand blob without a source or whose stored bytes have another size', async () => {
      const stored = await content.storeBlob(Buffer.from('four'));
      await expect(
        content.ask('content.blob.record', { digest: stored.digest, size: 5, onDemand: source }),
      ).rejects.toMatchObject({
        details: { digest: [`blob ${stored.digest} has 4 bytes in the blob store, not 5.`] },
      });
      const missing = sha256Of('upstream only');
      await expect(
        content.ask('content.blob.record', {
          digest: missing,
          size: 13,
          onDemand: { remoteId: '', upstreamName: 'x' },
        }),
      ).rejects.toMatchObject({ remoteName: 'ValidationError' });
      expect(await content.index.getUnits([blobKey(missing)])).toEqual([]);
    });
  });

  describe('unit listing', () => {
    it('filters by type, digest, tag name, media type and repository version membership', async () => {
      const oci = randomImage();
      const docker = randomImage({ format: 'docker' });
      await record(oci);
      await record(docker);
      const repository = await content.createRepository('listing');
      await content.ask('content.version.add', {
        repositoryId: repository.id,
        units: [tagKey('oci', oci.digest), tagKey('v1', oci.digest)],
      });
      await content.ask('content.version.add', {
        repositoryId: repository.id,
        units: [tagKey('docker', docker.digest)],
      });
      const keysOf = async (request: Omit<ListUnitsRequest, 'limit'>) =>
        (await content.ask('content.unit.list', { limit: 100, ...request })).items.map((unit) => unit.key);

      expect(await keysOf({ type: 'manifest' })).toEqual(
        [manifestKey(oci.digest), manifestKey(docker.digest)].sort(),
      );
      expect(await keysOf({ digest: oci.digest })).toEqual([
        manifestKey(oci.digest),
        tagKey('oci', oci.digest),
        tagKey('v1', oci.digest),
      ]);
      expect(await keysOf({ type: 'tag', name: 'v1' })).toEqual([tagKey('v1', oci.digest)]);
      expect(await keysOf({ mediaType: 'application/vnd.docker.distribution.manifest.v2+json' })).toEqual([
        manifestKey(docker.digest),
      ]);
      expect(
        await keysOf({
          type: 'tag',
          repositoryVersion: { repositoryId: repository.id, version: 2, membership: 'added' },
        }),
      ).toEqual([tagKey('docker', docker.digest)]);
      expect(
        await keysOf({ type: 'manifest', repositoryVersion: { repositoryId: repository.id, version: 1 } }),
      ).toEqual([manifestKey(oci.digest)]);
    });

    it('pages by key: each page continues after the last, and the last page says so', async () => {
      const blobs = await Promise.all(
        Array.from({ length: 7 }, (_, i) => content.storeBlob(Buffer.from(`blob ${i}`))),
      );
      const keys: string[] = [];
      let afterKey: string | undefined;
      let pages = 0;
      do {
        const page = await content.ask('content.unit.list', { type: 'blob', limit: 3, afterKey });
        expect(page.items.length).toBeLessThanOrEqual(3);
        keys.push(...page.items.map((unit) => unit.key));
        afterKey = page.nextAfterKey;
        pages++;
      } while (afterKey);

      expect(pages).toBe(3);
      expect(keys).toEqual(blobs.map((blob) => blob.key).sort());
    });

    it('answers an unknown unit with NotFound and a bad page size with a validation error', async () => {
      const unknown = blobKey(sha256Of('unknown'));
      await expect(content.ask('content.unit.get', { key: unknown })).rejects.toMatchObject({
        remoteName: 'NotFoundError',
        message: `content unit ${unknown} not found`,
      });
      await expect(content.ask('content.unit.list', { limit: 0 })).rejects.toMatchObject({
        remoteName: 'ValidationError',
        details: { limit: [expect.stringMatching(/1 to 5000/)] },
      });
    });
  });
});
