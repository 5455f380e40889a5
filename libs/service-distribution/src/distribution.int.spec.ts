import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { createProcessApplication, loadSettings, Queries } from '@wharf/runtime';
import { ContentModule } from '@wharf/service-content';
import { TasksModule } from '@wharf/service-tasks';
import { PublicationModule } from '@wharf/service-publication';
import {
  DISTRIBUTION_TASKS,
  DISTRIBUTION_WORKER,
  DISTRIBUTIONS_RESOURCE,
  PUBLICATION_TASKS,
  PUBLICATION_WORKER,
  type CreateDistributionRequest,
  type DistributionFields,
  type TaskView,
} from '@wharf/contracts';
import { DistributionModule } from './distribution.module.js';
import { DistributionsService } from './distributions.service.js';

const NO_SUCH_ID = '00000000-0000-4000-8000-000000000000';

describe('the distribution service, through the bus (embedded adapters)', () => {
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

  /** What the gateway does: queue a distribution task, holding the resource every distribution write holds. */
  const dispatch = (name: string, payload: unknown) =>
    queries.ask('tasks.dispatch', {
      name,
      worker: DISTRIBUTION_WORKER,
      payload,
      exclusiveResources: [DISTRIBUTIONS_RESOURCE],
    });

  const create = async (request: CreateDistributionRequest): Promise<string> => {
    const task = await settled(
      await dispatch(DISTRIBUTION_TASKS.create, await queries.ask('distribution.validate-create', request)),
    );
    expect(task.state, task.error?.description).toBe('completed');
    expect(task.createdResources).toEqual([
      expect.stringMatching(/^\/pulp\/api\/v3\/distributions\/container\/container\/[0-9a-f-]{36}\/$/),
    ]);
    return task.createdResources[0]!.split('/').at(-2)!;
  };

  const update = async (id: string, changes: DistributionFields) =>
    settled(
      await dispatch(
        DISTRIBUTION_TASKS.update,
        await queries.ask('distribution.validate-update', { id, changes }),
      ),
    );

  const remove = async (id: string) =>
    settled(await dispatch(DISTRIBUTION_TASKS.delete, { distributionId: id }));

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

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-distribution-'));
    await start();
  });

  afterEach(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves a repository at a base path: created by a task, read back, resolved to its latest version', async () => {
    const repository = await queries.ask('content.repository.create', { name: 'app' });
    const id = await create({ name: 'app', basePath: 'team/app', repositoryId: repository.id });

    expect(await queries.ask('distribution.get', { id })).toMatchObject({
      id,
      name: 'app',
      basePath: 'team/app',
      repositoryId: repository.id,
      repositoryVersion: null,
      publicationId: null,
      private: false,
      hidden: false,
      description: null,
      pulpLabels: {},
    });
    expect(await queries.ask('distribution.resolve', { basePath: 'team/app' })).toMatchObject({
      distribution: { id },
      repositoryId: repository.id,
      version: 'latest',
    });
    await expect(queries.ask('distribution.resolve', { basePath: 'team' })).rejects.toMatchObject({
      remoteName: 'NotFoundError',
    });
  });

  it('refuses at once a taken name, a taken or overlapping base path, and targets that do not exist', async () => {
    await create({ name: 'app', basePath: 'team/app' });
    const refusal = (request: CreateDistributionRequest) =>
      queries.ask('distribution.validate-create', request);

    await expect(refusal({ name: 'app', basePath: 'team/app' })).rejects.toMatchObject({
      remoteName: 'ValidationError',
      details: { name: ['This field must be unique.'], base_path: ['This field must be unique.'] },
    });
    await expect(refusal({ name: 'team', basePath: 'team' })).rejects.toMatchObject({
      details: { base_path: ["Overlaps with existing distribution 'app' (base path 'team/app')."] },
    });
    await expect(refusal({ name: 'x', basePath: 'x', repositoryId: NO_SUCH_ID })).rejects.toMatchObject({
      details: { repository: ['Invalid hyperlink - Object does not exist.'] },
    });
    await expect(refusal({ name: 'x', basePath: 'x', publicationId: NO_SUCH_ID })).rejects.toMatchObject({
      details: { publication: ['Invalid hyperlink - Object does not exist.'] },
    });
    const repository = await queries.ask('content.repository.create', { name: 'app' });
    await expect(
      refusal({ name: 'x', basePath: 'x', repositoryVersion: { repositoryId: repository.id, version: 3 } }),
    ).rejects.toMatchObject({
      details: { repository_version: ['Invalid hyperlink - Object does not exist.'] },
    });
    expect((await queries.ask('distribution.list', { offset: 0, limit: 10 })).count).toBe(1);
  });

  it('fails the later of two tasks that passed validation with the same base path', async () => {
    const first = await queries.ask('distribution.validate-create', { name: 'one', basePath: 'shared' });
    const second = await queries.ask('distribution.validate-create', {
      name: 'two',
      basePath: 'shared/deeper',
    });
    const tasks = [
      await dispatch(DISTRIBUTION_TASKS.create, first),
      await dispatch(DISTRIBUTION_TASKS.create, second),
    ];
    const [won, lost] = await Promise.all(tasks.map(settled));
    expect(won!.state).toBe('completed');
    expect(lost!.state).toBe('failed');
    expect(lost!.error?.description).toBe(
      "base_path: Overlaps with existing distribution 'one' (base path 'shared').",
    );
    expect(
      (await queries.ask('distribution.list', { offset: 0, limit: 10 })).results.map((d) => d.name),
    ).toEqual(['one']);
  });

  it('switches to a publication with Pulp’s update semantics and resolves to the published version', async () => {
    const repository = await queries.ask('content.repository.create', { name: 'app' });
    const id = await create({ name: 'app', basePath: 'team/app', repositoryId: repository.id });
    const publicationId = await publish(repository.id);

    await expect(
      queries.ask('distribution.validate-update', { id, changes: { publicationId } }),
    ).rejects.toMatchObject({ details: { non_field_errors: [expect.stringContaining('Only one of')] } });
    expect((await update(id, { publicationId, repositoryId: null, description: 'frozen' })).state).toBe(
      'completed',
    );

    expect(await queries.ask('distribution.get', { id })).toMatchObject({
      repositoryId: null,
      publicationId,
      description: 'frozen',
    });
    expect(await queries.ask('distribution.resolve', { basePath: 'team/app' })).toMatchObject({
      repositoryId: repository.id,
      version: 0,
    });
  });

  it('updates base path and labels, and the old base path is free again', async () => {
    const id = await create({ name: 'app', basePath: 'team/app', pulpLabels: { env: 'dev' } });
    expect((await update(id, { basePath: 'team/app2', pulpLabels: { env: 'prod' } })).state).toBe(
      'completed',
    );
    expect(await queries.ask('distribution.get', { id })).toMatchObject({
      basePath: 'team/app2',
      pulpLabels: { env: 'prod' },
    });
    await create({ name: 'newcomer', basePath: 'team/app' });
    const listed = await queries.ask('distribution.list', {
      basePathContains: 'team/',
      offset: 0,
      limit: 10,
    });
    expect(listed.results.map((d) => d.basePath)).toEqual(['team/app2', 'team/app']);
  });

  it('lists with Pulp’s filters, in name order, and pages', async () => {
    await create({ name: 'beta', basePath: 'b/one' });
    await create({ name: 'alpha', basePath: 'a/one' });
    await create({ name: 'alphabet', basePath: 'a/two' });
    const names = async (request: object) =>
      (await queries.ask('distribution.list', { offset: 0, limit: 10, ...request })).results.map(
        (d) => d.name,
      );
    expect(await names({})).toEqual(['alpha', 'alphabet', 'beta']);
    expect(await names({ name: 'alpha' })).toEqual(['alpha']);
    expect(await names({ nameContains: 'lph' })).toEqual(['alpha', 'alphabet']);
    expect(await names({ basePath: 'a/two' })).toEqual(['alphabet']);
    expect(await names({ basePathContains: 'one' })).toEqual(['alpha', 'beta']);
    const page = await queries.ask('distribution.list', { offset: 1, limit: 1 });
    expect(page).toMatchObject({ count: 3, results: [{ name: 'alphabet' }] });
  });

  it('deletes by task; the name and base path can then be used again', async () => {
    const id = await create({ name: 'app', basePath: 'team/app' });
    expect((await remove(id)).state).toBe('completed');
    await expect(queries.ask('distribution.get', { id })).rejects.toMatchObject({
      remoteName: 'NotFoundError',
    });
    await expect(queries.ask('distribution.validate-update', { id, changes: {} })).rejects.toMatchObject({
      remoteName: 'NotFoundError',
    });
    const again = await create({ name: 'app', basePath: 'team/app' });
    expect(again).not.toBe(id);
  });

  it('stops serving a publication once it is deleted, as Pulp clears the distribution’s publication', async () => {
    const repository = await queries.ask('content.repository.create', { name: 'app' });
    const publicationId = await publish(repository.id);
    const id = await create({ name: 'app', basePath: 'app', publicationId });
    await settled(
      await queries.ask('tasks.dispatch', {
        name: PUBLICATION_TASKS.delete,
        worker: PUBLICATION_WORKER,
        payload: { publicationId },
        exclusiveResources: [],
      }),
    );
    for (let i = 0; i < 100 && (await queries.ask('distribution.get', { id })).publicationId !== null; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(await queries.ask('distribution.get', { id })).toMatchObject({ publicationId: null, name: 'app' });
    expect(await queries.ask('distribution.resolve', { basePath: 'app' })).toMatchObject({
      repositoryId: null,
      version: null,
    });
  });

  it('keeps its distributions, and their uniqueness, across a restart', async () => {
    const id = await create({ name: 'app', basePath: 'team/app' });
    await app.close();
    await start();
    expect(await queries.ask('distribution.get', { id })).toMatchObject({ basePath: 'team/app' });
    await expect(
      queries.ask('distribution.validate-create', { name: 'app', basePath: 'team' }),
    ).rejects.toMatchObject({ remoteName: 'ValidationError' });
  });
});

describe('two replicas of the distribution service sharing one event store', () => {
  let dataDir: string;
  let replicas: INestApplication[];

  const startReplica = async () => {
    const settings = loadSettings(
      { WHARF_DATA_DIR: dataDir, WHARF_REGISTRY_PORT: '0' },
      { bus: 'memory', eventStore: 'sqlite', blobStore: 'fs', httpPortVariable: 'X', httpPort: 0 },
    );
    const replica = await createProcessApplication('test', settings, [DistributionModule], false);
    await replica.init();
    return replica;
  };

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-distribution-replicas-'));
    replicas = [await startReplica(), await startReplica()];
  });

  afterEach(async () => {
    await Promise.all(replicas.map((replica) => replica.close()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each([
    ['name', { name: 'app', basePath: 'one' }, { name: 'app', basePath: 'two' }],
    ['base_path', { name: 'one', basePath: 'app' }, { name: 'two', basePath: 'app' }],
  ])('let only one of two simultaneous creates take a %s', async (field, first, second) => {
    const outcomes = await Promise.allSettled(
      [first, second].map((fields, i) =>
        replicas[i]!.get(DistributionsService).create({ distributionId: randomUUID(), fields }, new Date()),
      ),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ details: { [field]: ['This field must be unique.'] } });
  });
});
