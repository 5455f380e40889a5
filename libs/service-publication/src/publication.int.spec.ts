import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { INestApplication } from '@nestjs/common';
import { BlobStore } from '@wharf/ports';
import { createProcessApplication, loadSettings, Queries } from '@wharf/runtime';
import { ContentModule } from '@wharf/service-content';
import { TasksModule } from '@wharf/service-tasks';
import { DistributionModule } from '@wharf/service-distribution';
import {
  blobKey,
  DISTRIBUTION_TASKS,
  DISTRIBUTION_WORKER,
  DISTRIBUTIONS_RESOURCE,
  PUBLICATION_TASKS,
  PUBLICATION_WORKER,
  publicationHref,
  type TaskView,
} from '@wharf/contracts';
import { PublicationModule } from './publication.module.js';
import { automaticPublicationId } from './publications.service.js';

const NO_SUCH_REPOSITORY = '00000000-0000-4000-8000-000000000000';

describe('the publication service, through the bus (embedded adapters)', () => {
  let dataDir: string;
  let app: INestApplication;
  let queries: Queries;

  const start = async () => {
    const settings = loadSettings(
      { WHARF_DATA_DIR: dataDir, WHARF_REGISTRY_PORT: '0' },
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
  };

  const settled = async (task: TaskView): Promise<TaskView> => {
    for (let i = 0; i < 250; i++) {
      const current = await queries.ask('tasks.get', { id: task.id });
      if (['completed', 'failed', 'canceled'].includes(current.state)) return current;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`task ${task.id} (${task.name}) did not finish`);
  };

  const createRepository = (name: string) => queries.ask('content.repository.create', { name });

  /** Adds a fresh blob to the repository, making its next version. */
  const addVersion = async (repositoryId: string): Promise<number> => {
    const { digest, size } = await app.get(BlobStore).put(Readable.from([randomBytes(64)]));
    await queries.ask('content.blob.record', { digest, size });
    const written = await queries.ask('content.version.add', { repositoryId, units: [blobKey(digest)] });
    return written.version.number;
  };

  /** What the gateway does: validate, then queue the task and wait for it. */
  const publish = async (request: {
    repositoryId?: string;
    repositoryVersion?: { repositoryId: string; version: number };
  }) => {
    const payload = await queries.ask('publication.validate-create', request);
    return settled(
      await queries.ask('tasks.dispatch', {
        name: PUBLICATION_TASKS.create,
        worker: PUBLICATION_WORKER,
        payload,
        exclusiveResources: [],
        sharedResources: [payload.repositoryId],
      }),
    );
  };

  const unpublish = async (publicationId: string) =>
    settled(
      await queries.ask('tasks.dispatch', {
        name: PUBLICATION_TASKS.delete,
        worker: PUBLICATION_WORKER,
        payload: { publicationId },
        exclusiveResources: [publicationHref(publicationId)],
      }),
    );

  const publicationIdOf = (task: TaskView) => {
    expect(task.state).toBe('completed');
    return task.createdResources[0]!.split('/').at(-2)!;
  };

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-publication-'));
    await start();
  });

  afterEach(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('publishes the latest version a repository has when asked, and keeps serving it as the repository moves on', async () => {
    const repository = await createRepository('app');
    await addVersion(repository.id);
    const task = await publish({ repositoryId: repository.id });
    expect(task.createdResources).toEqual([
      expect.stringMatching(/^\/pulp\/api\/v3\/publications\/container\/container\/[0-9a-f-]{36}\/$/),
    ]);
    const id = publicationIdOf(task);

    expect(await addVersion(repository.id)).toBe(2);
    const publication = await queries.ask('publication.get', { id });
    expect(publication).toMatchObject({ id, repositoryId: repository.id, repositoryVersion: 1 });
  });

  it('publishes a given version, and lists publications newest first with filters', async () => {
    const repository = await createRepository('app');
    const other = await createRepository('other');
    await addVersion(repository.id);
    const first = publicationIdOf(
      await publish({ repositoryVersion: { repositoryId: repository.id, version: 0 } }),
    );
    const second = publicationIdOf(
      await publish({ repositoryVersion: { repositoryId: repository.id, version: 1 } }),
    );
    const elsewhere = publicationIdOf(await publish({ repositoryId: other.id }));

    const all = await queries.ask('publication.list', { offset: 0, limit: 10 });
    expect(all.results.map((p) => p.id)).toEqual([elsewhere, second, first]);
    const ofRepository = await queries.ask('publication.list', {
      repositoryId: repository.id,
      offset: 0,
      limit: 10,
    });
    expect(ofRepository.results.map((p) => p.id)).toEqual([second, first]);
    const ofVersion = await queries.ask('publication.list', {
      repositoryVersion: { repositoryId: repository.id, version: 0 },
      offset: 0,
      limit: 10,
    });
    expect(ofVersion).toMatchObject({ count: 1, results: [{ id: first }] });
  });

  it('refuses at once what names nothing, under the field that named it', async () => {
    const repository = await createRepository('app');
    await expect(
      queries.ask('publication.validate-create', { repositoryId: NO_SUCH_REPOSITORY }),
    ).rejects.toMatchObject({
      name: 'RemoteError',
      remoteName: 'ValidationError',
      details: { repository: ['Invalid hyperlink - Object does not exist.'] },
    });
    await expect(
      queries.ask('publication.validate-create', {
        repositoryVersion: { repositoryId: repository.id, version: 5 },
      }),
    ).rejects.toMatchObject({
      details: { repository_version: ['Invalid hyperlink - Object does not exist.'] },
    });
    await expect(queries.ask('publication.validate-create', {})).rejects.toMatchObject({
      details: { non_field_errors: [expect.stringContaining("'repository' or 'repository_version'")] },
    });
    await expect(
      queries.ask('publication.validate-create', {
        repositoryId: repository.id,
        repositoryVersion: { repositoryId: repository.id, version: 0 },
      }),
    ).rejects.toMatchObject({ remoteName: 'ValidationError' });
    expect((await queries.ask('publication.list', { offset: 0, limit: 10 })).count).toBe(0);
  });

  it('deletes a publication as a task; it is gone from reads, and deleting it again is harmless', async () => {
    const repository = await createRepository('app');
    const id = publicationIdOf(await publish({ repositoryId: repository.id }));
    expect((await unpublish(id)).state).toBe('completed');
    await expect(queries.ask('publication.get', { id })).rejects.toMatchObject({
      remoteName: 'NotFoundError',
    });
    expect((await queries.ask('publication.list', { offset: 0, limit: 10 })).count).toBe(0);
    expect((await unpublish(id)).state).toBe('completed');
  });

  it('names the versions that publications and distributions serve, for retention to keep', async () => {
    const repository = await createRepository('app');
    const other = await createRepository('other');
    await addVersion(repository.id);
    await addVersion(repository.id);
    const published = publicationIdOf(
      await publish({ repositoryVersion: { repositoryId: repository.id, version: 1 } }),
    );
    await publish({ repositoryId: other.id });
    const distribution = await queries.ask('distribution.validate-create', {
      name: 'pinned',
      basePath: 'pinned',
      repositoryVersion: { repositoryId: repository.id, version: 0 },
    });
    const created = await settled(
      await queries.ask('tasks.dispatch', {
        name: DISTRIBUTION_TASKS.create,
        worker: DISTRIBUTION_WORKER,
        payload: distribution,
        exclusiveResources: [DISTRIBUTIONS_RESOURCE],
      }),
    );
    expect(created.state).toBe('completed');

    expect(await queries.ask('publication.protected-versions', { repositoryId: repository.id })).toEqual({
      versions: [
        { repositoryId: repository.id, version: 0 },
        { repositoryId: repository.id, version: 1 },
      ],
    });
    expect((await queries.ask('publication.protected-versions', {})).versions).toContainEqual({
      repositoryId: other.id,
      version: 0,
    });

    await unpublish(published);
    expect(await queries.ask('publication.protected-versions', { repositoryId: repository.id })).toEqual({
      versions: [{ repositoryId: repository.id, version: 0 }],
    });
  });

  it('publishes each new version of a followed repository once, and lets retention prune the older ones', async () => {
    const repository = await createRepository('followed');
    await addVersion(repository.id);
    const distribution = await queries.ask('distribution.validate-create', {
      name: 'followed',
      basePath: 'followed',
      repositoryId: repository.id,
    });
    const created = await settled(
      await queries.ask('tasks.dispatch', {
        name: DISTRIBUTION_TASKS.create,
        worker: DISTRIBUTION_WORKER,
        payload: distribution,
        exclusiveResources: [DISTRIBUTIONS_RESOURCE],
      }),
    );
    expect(created.state).toBe('completed');
    const publishedVersions = async () =>
      (await queries.ask('publication.list', { repositoryId: repository.id, offset: 0, limit: 10 })).results
        .map((p) => p.repositoryVersion)
        .sort();
    await vi.waitFor(async () => expect(await publishedVersions()).toEqual([1]));

    const second = await addVersion(repository.id);
    await vi.waitFor(async () => expect(await publishedVersions()).toEqual([1, second]));
    const { publication } = await queries.ask('publication.latest', { repositoryId: repository.id });
    expect(publication).toMatchObject({
      repositoryVersion: second,
      id: automaticPublicationId(repository.id, second),
    });

    // Only the newest automatic publication keeps its version from retention.
    expect(await queries.ask('publication.protected-versions', { repositoryId: repository.id })).toEqual({
      versions: [{ repositoryId: repository.id, version: second }],
    });
    // A publication asked for by hand still protects its version.
    await publish({ repositoryVersion: { repositoryId: repository.id, version: 1 } });
    expect(await queries.ask('publication.protected-versions', { repositoryId: repository.id })).toEqual({
      versions: [
        { repositoryId: repository.id, version: 1 },
        { repositoryId: repository.id, version: second },
      ],
    });
  });

  it('makes no automatic publication for a repository no distribution follows', async () => {
    const followed = await createRepository('followed');
    const distribution = await queries.ask('distribution.validate-create', {
      name: 'followed',
      basePath: 'followed',
      repositoryId: followed.id,
    });
    await settled(
      await queries.ask('tasks.dispatch', {
        name: DISTRIBUTION_TASKS.create,
        worker: DISTRIBUTION_WORKER,
        payload: distribution,
        exclusiveResources: [DISTRIBUTIONS_RESOURCE],
      }),
    );
    const alone = await createRepository('alone');
    await addVersion(alone.id);
    await addVersion(alone.id);
    // Version events are handled in order: once the followed repository's later version is published, the
    // lone repository's versions have been seen.
    const later = await addVersion(followed.id);
    await vi.waitFor(async () =>
      expect(
        (await queries.ask('publication.latest', { repositoryId: followed.id })).publication,
      ).toMatchObject({
        repositoryVersion: later,
      }),
    );
    expect(
      (await queries.ask('publication.list', { repositoryId: alone.id, offset: 0, limit: 10 })).count,
    ).toBe(0);
  });

  it('keeps its publications across a restart', async () => {
    const repository = await createRepository('app');
    const id = publicationIdOf(await publish({ repositoryId: repository.id }));
    await app.close();
    await start();
    expect(await queries.ask('publication.get', { id })).toMatchObject({
      repositoryId: repository.id,
      repositoryVersion: 0,
    });
  });
});
