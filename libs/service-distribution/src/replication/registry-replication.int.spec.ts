import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { INestApplication } from '@nestjs/common';
import { BlobStore } from '@wharf/ports';
import { createProcessApplication, loadSettings, Queries } from '@wharf/runtime';
import { ContentModule } from '@wharf/service-content';
import { TasksModule } from '@wharf/service-tasks';
import { PublicationModule } from '@wharf/service-publication';
import { DistributionModule } from '../distribution.module.js';
import { manifestKey } from '@wharf/contracts';
import { RegistryClient, type RegistryClientOptions } from '@wharf/registry-client';
import {
  artifactManifest,
  blobsOf,
  manifestsOf,
  multiPlatformImage,
  pushImage,
  randomImage,
  startDockerRegistry,
  startRegistryFront,
  type DockerRegistryAuth,
  type FixtureManifest,
  type StartedDockerRegistry,
  type StartedRegistryFront,
} from '@wharf/testing';
import { RegistryReplicator, type ReplicationOptions } from './registry.replicator.js';
import { VersionContentReader, type VersionContent } from './version-content.reader.js';

const ociImage = randomImage({ layers: 2, layerSize: 6000 });
const dockerImage = randomImage({ format: 'docker', layers: 1 });
const multiArch = multiPlatformImage([
  { os: 'linux', architecture: 'amd64' },
  { os: 'linux', architecture: 'arm64', variant: 'v8' },
]);
const signature = artifactManifest({ artifactType: 'application/vnd.wharf.signature', subject: ociImage });
// Untagged: pushed by digest all the same.
const sbom = artifactManifest({ artifactType: 'application/vnd.wharf.sbom', subject: ociImage });
const contentImages = [ociImage, dockerImage, multiArch, signature, sbom];
const tags: Record<string, FixtureManifest> = {
  app: ociImage,
  'app-alias': ociImage,
  legacy: dockerImage,
  multi: multiArch,
  signed: signature,
};
const allBlobs = [...new Map(contentImages.flatMap(blobsOf).map((b) => [b.digest, b])).values()];
const allManifests = [...new Set(contentImages.flatMap(manifestsOf))];

/** A Wharf content service in this process (embedded adapters) holding one repository version of the fixtures. */
async function wharfWithVersion(dataDir: string) {
  const settings = loadSettings(
    {
      WHARF_DATA_DIR: dataDir,
      WHARF_REGISTRY_PORT: '0',
      WHARF_ADMIN_PASSWORD: randomBytes(12).toString('hex'),
      WHARF_SECRET_KEY: randomBytes(32).toString('base64'),
    },
    { bus: 'memory', eventStore: 'sqlite', blobStore: 'fs', httpPortVariable: 'X', httpPort: 0 },
  );
  const app = await createProcessApplication(
    'test',
    settings,
    [TasksModule, ContentModule, PublicationModule, DistributionModule],
    false,
  );
  await app.init();
  const queries = app.get(Queries);
  const blobs = app.get(BlobStore, { strict: false });
  for (const image of contentImages) {
    for (const blob of blobsOf(image)) {
      await blobs.put(Readable.from([blob.bytes]), blob.digest);
      await queries.ask('content.blob.record', { digest: blob.digest, size: blob.size });
    }
    for (const item of manifestsOf(image)) {
      await queries.ask('content.manifest.record', {
        bytes: Buffer.from(item.bytes).toString('base64'),
        mediaType: item.mediaType,
      });
    }
  }
  const repository = await queries.ask('content.repository.create', { name: 'replicated' });
  await queries.ask('content.version.modify', {
    repositoryId: repository.id,
    add: contentImages.map((m) => manifestKey(m.digest)),
  });
  let version = 0;
  for (const [tag, manifest] of Object.entries(tags)) {
    const written = await queries.ask('content.version.tag', {
      repositoryId: repository.id,
      tag,
      digest: manifest.digest,
    });
    version = written.version.number;
  }
  const reader = new VersionContentReader(queries, blobs);
  return { app, reader, content: await reader.read({ repositoryId: repository.id, version }) };
}

describe.each<DockerRegistryAuth>(['none', 'htpasswd'])(
  'replicating a repository version to docker-registry (auth: %s)',
  (auth) => {
    let dataDir: string;
    let app: INestApplication;
    let reader: VersionContentReader;
    let content: VersionContent;
    let registry: StartedDockerRegistry;
    let front: StartedRegistryFront;
    const clients: RegistryClient[] = [];

    /** A client for the destination through the counting front. */
    const destination = (options: Partial<RegistryClientOptions> = {}) => {
      const client = new RegistryClient({
        url: front.url,
        ...(auth === 'htpasswd' && { username: registry.username, password: registry.password }),
        retryBaseDelayMs: 10,
        ...options,
      });
      clients.push(client);
      return client;
    };
    const replicate = (name: string, options: Partial<ReplicationOptions> = {}, client = destination()) =>
      new RegistryReplicator(
        reader,
        { client, name },
        { mirror: false, concurrency: 4, ...options },
      ).replicate(content);
    /** Requests the front saw from `from` on that send blob bytes or open uploads. */
    const blobWrites = (from: number) =>
      front.requests.slice(from).filter((r) => r.method !== 'HEAD' && r.url.includes('/blobs/uploads/'));

    /** The destination holds every tag on the right digest, every manifest byte for byte, every blob. */
    const expectComplete = async (name: string) => {
      const direct = destination();
      for (const [tag, manifest] of Object.entries(tags)) {
        const fetched = await direct.getManifest(name, tag);
        expect(fetched.digest).toBe(manifest.digest);
        expect(Buffer.compare(fetched.bytes, Buffer.from(manifest.bytes))).toBe(0);
        expect(fetched.mediaType).toBe(manifest.mediaType);
      }
      for (const manifest of allManifests)
        expect(await direct.headManifest(name, manifest.digest)).toBeDefined();
      for (const blob of allBlobs) expect(await direct.headBlob(name, blob.digest)).toBe(blob.size);
    };

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'wharf-replicate-'));
      ({ app, reader, content } = await wharfWithVersion(dataDir));
      registry = await startDockerRegistry({ auth });
      front = await startRegistryFront(registry);
    }, 60_000);

    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await front?.stop();
      await registry?.stop();
      await app?.close();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    });

    it('pushes every tag, manifest (children before lists) and blob, byte for byte', async () => {
      const result = await replicate('edge/app');
      expect(result).toMatchObject({
        tags: 5,
        tagsPushed: 5,
        manifestsPushed: allManifests.length,
        blobsPushed: allBlobs.length,
        bytesPushed: allBlobs.reduce((sum, b) => sum + b.size, 0),
      });
      await expectComplete('edge/app');
    });

    it('sends no blob and no manifest when run again with nothing new', async () => {
      const before = front.requests.length;
      const result = await replicate('edge/app');
      expect(result).toMatchObject({ tagsPushed: 0, manifestsPushed: 0, blobsPushed: 0, bytesPushed: 0 });
      expect(blobWrites(before)).toEqual([]);
      const sent = front.requests.slice(before).filter((r) => r.method === 'PUT' || r.method === 'PATCH');
      expect(sent).toEqual([]);
      // One HEAD per tag, and one for the untagged manifest; nothing under a tag found in place is asked about.
      const asked = new Set(front.requests.slice(before).map((r) => `${r.method} ${r.url}`));
      expect([...asked].sort()).toEqual(
        [
          ...Object.keys(tags).map((tag) => `HEAD /v2/edge/app/manifests/${tag}`),
          `HEAD /v2/edge/app/manifests/${sbom.digest}`,
        ].sort(),
      );
    });

    it('mounts blobs from another repository of the destination instead of sending them', async () => {
      const result = await replicate('edge/mounted', { mountFrom: ['edge/app'] });
      expect(result).toMatchObject({ blobsPushed: 0, blobsMounted: allBlobs.length, bytesPushed: 0 });
      await expectComplete('edge/mounted');
    });

    it('sends large blobs in chunks when a chunk size is set', async () => {
      const before = front.requests.length;
      await replicate('edge/chunked', { chunkSize: 4096 });
      const patches = front.requests.slice(before).filter((r) => r.method === 'PATCH');
      // Each 6000-byte layer takes two chunks; smaller blobs go in one PUT.
      expect(patches.length).toBeGreaterThanOrEqual(4);
      await expectComplete('edge/chunked');
    });

    it('starts a blob upload again when the destination fails it transiently', async () => {
      let faulted = 0;
      const flaky = destination({
        onRequest: (method, kind) => {
          // The first two streamed blob PUTs meet a 503: the client cannot resend a stream, the replicator can.
          if (method === 'PUT' && kind === 'blob' && faulted < 2) {
            faulted++;
            front.faults.push({ status: 503 });
          }
        },
      });
      const result = await replicate('edge/retried', { retryDelayMs: 10 }, flaky);
      expect(faulted).toBe(2);
      expect(result.blobsPushed).toBe(allBlobs.length);
      await expectComplete('edge/retried');
    });

    it('in mirror mode removes destination tags the version lacks, and says which it had to keep', async () => {
      const stale = randomImage({ layers: 1 });
      await pushImage(registry, 'edge/app', 'stale', stale);
      await pushImage(registry, 'edge/app', 'renamed', ociImage);
      const result = await replicate('edge/app', { mirror: true });
      expect(result.tagsRemoved).toEqual(['stale']);
      expect(result.tagsKept).toEqual([
        expect.stringMatching(new RegExp(`^renamed: points at ${ociImage.digest}, which the version holds`)),
      ]);
      const remaining = [];
      for await (const tag of destination().listTags('edge/app')) remaining.push(tag);
      expect(remaining.sort()).toEqual([...Object.keys(tags), 'renamed'].sort());
      await expectComplete('edge/app');
    });

    it('leaves a destination that failed mid-push in a state a re-run completes, sending only what is missing', async () => {
      let blobPuts = 0;
      // One request at a time, so the blobs sent before the outage are complete at the destination.
      const failing = destination({
        maxRetries: 0,
        concurrency: 1,
        onRequest: (method, kind) => {
          // Once a few blobs went up, the destination goes away for good (every request answers 503).
          if (method === 'PUT' && kind === 'blob' && ++blobPuts === 6) {
            front.faults.push(...Array.from({ length: 1000 }, () => ({ status: 503 })));
          }
        },
      });
      const error = await replicate('edge/flaky', { concurrency: 1 }, failing).catch((e: unknown) => e);
      front.faults.length = 0;
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/503/);

      const direct = destination();
      const present = [];
      for (const blob of allBlobs) if (await direct.blobExists('edge/flaky', blob.digest)) present.push(blob);
      expect(present.length).toBeGreaterThan(0);
      expect(present.length).toBeLessThan(allBlobs.length);

      const before = front.requests.length;
      const result = await replicate('edge/flaky');
      expect(result.blobsPushed).toBe(allBlobs.length - present.length);
      expect(blobWrites(before).filter((r) => r.method === 'POST')).toHaveLength(result.blobsPushed);
      await expectComplete('edge/flaky');
    });
  },
);
