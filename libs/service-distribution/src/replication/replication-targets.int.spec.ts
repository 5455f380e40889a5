import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { INestApplication } from '@nestjs/common';
import { BlobStore, RemoteError } from '@wharf/ports';
import { createProcessApplication, loadSettings, Queries } from '@wharf/runtime';
import { ContentModule } from '@wharf/service-content';
import { TasksModule } from '@wharf/service-tasks';
import { PublicationModule } from '@wharf/service-publication';
import {
  DISTRIBUTION_TASKS,
  DISTRIBUTION_WORKER,
  DISTRIBUTIONS_RESOURCE,
  manifestKey,
  tagKey,
  REPLICATION_TASKS,
  replicationTargetHref,
  type TaskView,
} from '@wharf/contracts';
import { RegistryClient } from '@wharf/registry-client';
import {
  blobsOf,
  manifestsOf,
  randomImage,
  pushImage,
  startDockerRegistry,
  type FixtureManifest,
  type StartedDockerRegistry,
} from '@wharf/testing';
import { DistributionModule } from '../distribution.module.js';

/**
 * Replication targets and the replicate task through the bus, as the gateway drives them, pushing to a
 * docker-registry with htpasswd auth: credentials go in, never come out, and open only for the push.
 */
describe('replication targets and the replicate task (embedded adapters, htpasswd destination)', () => {
  let dataDir: string;
  let app: INestApplication;
  let queries: Queries;
  let registry: StartedDockerRegistry;
  let repositoryId: string;
  let destination: RegistryClient;
  const first = randomImage({ layers: 2 });
  const second = randomImage({ layers: 1 });

  const settled = async (task: TaskView): Promise<TaskView> => {
    for (let i = 0; i < 500; i++) {
      const current = await queries.ask('tasks.get', { id: task.id });
      if (['completed', 'failed', 'canceled'].includes(current.state)) return current;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`task ${task.id} (${task.name}) did not finish`);
  };

  const replicate = (targetId: string, version?: number) =>
    queries.ask('tasks.dispatch', {
      name: REPLICATION_TASKS.replicate,
      worker: DISTRIBUTION_WORKER,
      payload: { targetId, ...(version !== undefined && { version }) },
      exclusiveResources: [replicationTargetHref(targetId)],
    });

  const record = async (image: FixtureManifest) => {
    const blobs = app.get(BlobStore, { strict: false });
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
  };

  const tagIn = async (tag: string, image: FixtureManifest) => {
    await queries.ask('content.version.modify', { repositoryId, add: [manifestKey(image.digest)] });
    return queries.ask('content.version.tag', { repositoryId, tag, digest: image.digest });
  };

  const destinationTags = async (name: string) => {
    const tags: string[] = [];
    for await (const tag of destination.listTags(name)) tags.push(tag);
    return tags.sort();
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-replication-targets-'));
    const settings = loadSettings(
      {
        WHARF_DATA_DIR: dataDir,
        WHARF_REGISTRY_PORT: '0',
        WHARF_ADMIN_PASSWORD: randomBytes(12).toString('hex'),
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
    registry = await startDockerRegistry({ auth: 'htpasswd' });
    destination = new RegistryClient({
      url: registry.url,
      username: registry.username,
      password: registry.password,
    });
    await record(first);
    await record(second);
    repositoryId = (await queries.ask('content.repository.create', { name: 'edge-source' })).id;
    await tagIn('v1', first);
  }, 60_000);

  afterAll(async () => {
    await destination?.close();
    await registry?.stop();
    await app?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps credentials write-only and refuses bad fields naming each', async () => {
    const target = await queries.ask('replication-target.create', {
      name: 'edge-write-only',
      url: registry.url,
      path: 'edge/write-only',
      username: registry.username,
      password: registry.password,
      repositoryId,
    });
    expect(JSON.stringify(target)).not.toContain(registry.password);
    expect(target.hiddenFields).toEqual([
      { field: 'username', isSet: true },
      { field: 'password', isSet: true },
    ]);
    const refused = await queries
      .ask('replication-target.create', { name: 'bad', url: 'ftp://x', path: 'ok', repositoryId: 'nope' })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RemoteError);
    expect((refused as RemoteError & { details: unknown }).details).toMatchObject({
      url: ['The URL must start with http:// or https://.'],
      repository: ['Expected an id.'],
    });
    const taken = await queries
      .ask('replication-target.create', {
        name: 'edge-write-only',
        url: registry.url,
        path: 'x',
        repositoryId,
      })
      .catch((e: unknown) => e);
    expect((taken as RemoteError).remoteName).toBe('ValidationError');
    expect((taken as Error).message).toContain('name');
  });

  it('pushes the latest version by hand, then a second run pushes no blob', async () => {
    const target = await queries.ask('replication-target.create', {
      name: 'edge-by-hand',
      url: registry.url,
      path: 'edge/by-hand',
      username: registry.username,
      password: registry.password,
      repositoryId,
    });
    const done = await settled(await replicate(target.id));
    expect(done.state, done.error?.description).toBe('completed');
    expect(done.result).toMatchObject({ tagsPushed: 1, blobsPushed: blobsOf(first).length });
    expect(done.progressReports.map((r) => [r.code, r.state])).toContainEqual([
      'replicate.pushing.blobs',
      'completed',
    ]);
    expect(await destinationTags('edge/by-hand')).toEqual(['v1']);
    const again = await settled(await replicate(target.id));
    expect(again.result).toMatchObject({ tagsPushed: 0, blobsPushed: 0, manifestsPushed: 0 });
  });

  it('fails a push with a message naming the target and the cause, never the password', async () => {
    const target = await queries.ask('replication-target.create', {
      name: 'edge-wrong-password',
      url: registry.url,
      path: 'edge/refused',
      username: registry.username,
      password: 'not-the-password-5c1d',
      repositoryId,
    });
    const failed = await settled(await replicate(target.id));
    expect(failed.state).toBe('failed');
    expect(failed.error?.description).toMatch(/target edge-wrong-password .* failed: .*401/);
    expect(failed.error?.description).not.toContain('not-the-password-5c1d');
  });

  it('pushes what a distribution serves: its repository version, or the latest of its repository', async () => {
    const created = await settled(
      await queries.ask('tasks.dispatch', {
        name: DISTRIBUTION_TASKS.create,
        worker: DISTRIBUTION_WORKER,
        payload: await queries.ask('distribution.validate-create', {
          name: 'pinned',
          basePath: 'pinned/app',
          repositoryVersion: { repositoryId, version: 2 },
        }),
        exclusiveResources: [DISTRIBUTIONS_RESOURCE],
      }),
    );
    expect(created.state, created.error?.description).toBe('completed');
    const distributionId = created.createdResources[0]!.split('/').at(-2)!;
    const target = await queries.ask('replication-target.create', {
      name: 'edge-pinned',
      url: registry.url,
      path: 'edge/pinned',
      username: registry.username,
      password: registry.password,
      distributionId,
    });
    const done = await settled(await replicate(target.id));
    expect(done.state, done.error?.description).toBe('completed');
    expect(done.result).toMatchObject({ repositoryVersion: { repositoryId, version: 2 } });
    expect(await destinationTags('edge/pinned')).toEqual(['v1']);
  });

  it('pushes each new version by itself to an auto target, and in mirror mode drops tags gone from it', async () => {
    const target = await queries.ask('replication-target.create', {
      name: 'edge-auto',
      url: registry.url,
      path: 'edge/auto',
      username: registry.username,
      password: registry.password,
      repositoryId,
      auto: true,
      mirror: true,
    });
    await tagIn('v2', second);
    await expect.poll(() => destinationTags('edge/auto'), { timeout: 10_000 }).toEqual(['v1', 'v2']);
    // The manifest goes with its tag: mirror mode deletes only manifests the version no longer holds.
    await queries.ask('content.version.remove', {
      repositoryId,
      units: [tagKey('v1', first.digest), manifestKey(first.digest)],
    });
    await expect.poll(() => destinationTags('edge/auto'), { timeout: 10_000 }).toEqual(['v2']);
    expect(target.auto).toBe(true);
  });

  it('in mirror mode completes against a destination that refuses deletes, listing the tags it kept and why', async () => {
    const refusing = await startDockerRegistry({ deletes: false });
    try {
      const stale = randomImage({ layers: 1 });
      await pushImage(refusing, 'edge/no-deletes', 'old', stale);
      const target = await queries.ask('replication-target.create', {
        name: 'edge-no-deletes',
        url: refusing.url,
        path: 'edge/no-deletes',
        repositoryId,
        mirror: true,
      });
      const done = await settled(await replicate(target.id));
      expect(done.state, done.error?.description).toBe('completed');
      expect(done.result).toMatchObject({
        tagsPushed: 1,
        tagsRemoved: [],
        tagsKept: [`old: the destination refused to delete ${stale.digest} (UNSUPPORTED)`],
      });
      const direct = new RegistryClient({ url: refusing.url });
      try {
        const tags: string[] = [];
        for await (const tag of direct.listTags('edge/no-deletes')) tags.push(tag);
        expect(tags.sort()).toEqual(['old', 'v2']);
        expect((await direct.headManifest('edge/no-deletes', 'v2'))?.digest).toBe(second.digest);
      } finally {
        await direct.close();
      }
    } finally {
      await refusing.stop();
    }
  });
});
