import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { createProcessApplication, loadSettings, Queries, SecretBox } from '@wharf/runtime';
import { TasksModule } from '@wharf/service-tasks';
import { RemoteError } from '@wharf/ports';
import {
  REMOTE_DELETE_TASK,
  REMOTE_UPDATE_TASK,
  SYNC_WORKER,
  type ListRemotesRequest,
  type RemoteInput,
  type TaskView,
} from '@wharf/contracts';
import { SyncModule } from './sync.module.js';

const PASSWORD = 'correct-horse-battery-staple';
const PROXY_PASSWORD = 'proxy-pass-4f1e';

describe('remotes in the sync service, through the bus (embedded adapters)', () => {
  let dataDir: string;
  let app: INestApplication;
  let queries: Queries;
  let secretKey: string | undefined;

  const start = async () => {
    const settings = loadSettings(
      { WHARF_DATA_DIR: dataDir, ...(secretKey ? { WHARF_SECRET_KEY: secretKey } : {}) },
      { bus: 'memory', eventStore: 'sqlite', blobStore: 'fs', httpPortVariable: 'X', httpPort: 0 },
    );
    app = await createProcessApplication('sync-test', settings, [SyncModule, TasksModule], false);
    await app.init();
    queries = app.get(Queries);
  };
  const restart = async () => {
    await app.close();
    await start();
  };

  const create = (input: RemoteInput) => queries.ask('remote.create', input);
  const refusal = async (promise: Promise<unknown>): Promise<RemoteError> => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RemoteError);
    return error as RemoteError;
  };
  const settled = async (id: string): Promise<TaskView> => {
    for (let i = 0; i < 250; i++) {
      const task = await queries.ask('tasks.get', { id });
      if (['completed', 'failed', 'canceled'].includes(task.state)) return task;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`task ${id} did not finish`);
  };
  /** What the gateway does for PATCH/PUT: validate and seal now, then run the update as a task. */
  const update = async (id: string, input: RemoteInput, partial = true) => {
    const payload = await queries.ask('remote.update.prepare', { id, input, partial });
    const task = await queries.ask('tasks.dispatch', {
      name: REMOTE_UPDATE_TASK,
      worker: SYNC_WORKER,
      payload,
      exclusiveResources: [`remote-${id}`],
    });
    return settled(task.id);
  };
  const remove = async (id: string) => {
    const task = await queries.ask('tasks.dispatch', {
      name: REMOTE_DELETE_TASK,
      worker: SYNC_WORKER,
      payload: { remoteId: id },
      exclusiveResources: [`remote-${id}`],
    });
    return settled(task.id);
  };
  /** Every byte the process stored: event logs, task records and their SQLite journals. */
  const storedText = () =>
    readdirSync(dataDir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => readFileSync(join(entry.parentPath, entry.name)).toString('latin1'))
      .join('\n');

  const hub: RemoteInput = {
    name: 'hub',
    url: 'https://registry-1.docker.io',
    upstreamName: 'library/busybox',
  };

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-remotes-'));
    secretKey = SecretBox.generateKey();
    await start();
  });

  afterEach(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('creates a remote with defaults and reads it back by id and by name', async () => {
    const created = await create(hub);
    expect(created).toMatchObject({
      ...hub,
      policy: 'immediate',
      tlsValidation: true,
      includeTags: null,
      headers: [],
      pulpLabels: {},
      platforms: null,
    });
    expect(created.createdAt).toBe(created.updatedAt);
    expect(await queries.ask('remote.get', { id: created.id })).toEqual(created);
    const listed = await queries.ask('remote.list', { name: 'hub', offset: 0, limit: 1 });
    expect(listed).toEqual({ count: 1, results: [created] });
  });

  it('keeps credentials sealed: no read shows them, nothing stored holds them in clear', async () => {
    const created = await create({
      ...hub,
      username: 'robot',
      password: PASSWORD,
      proxyUrl: 'http://proxy.internal:3128',
      proxyUsername: 'proxy-user',
      proxyPassword: PROXY_PASSWORD,
    });
    expect(created.hiddenFields).toEqual([
      { field: 'clientKey', isSet: false },
      { field: 'proxyUsername', isSet: true },
      { field: 'proxyPassword', isSet: true },
      { field: 'username', isSet: true },
      { field: 'password', isSet: true },
    ]);
    const read = await queries.ask('remote.get', { id: created.id });
    for (const credential of ['username', 'password', 'clientKey', 'proxyUsername', 'proxyPassword']) {
      expect(read).not.toHaveProperty(credential);
    }
    expect(JSON.stringify(read)).not.toContain(PASSWORD);
    expect(JSON.stringify(read)).not.toContain('robot');

    const updated = await update(created.id, { password: `${PASSWORD}-2` });
    expect(updated.state).toBe('completed');
    expect(JSON.stringify(updated)).not.toContain(PASSWORD);

    const stored = storedText();
    expect(stored).toContain('RemoteCreated');
    expect(stored).not.toContain(PASSWORD);
    expect(stored).not.toContain(PROXY_PASSWORD);
    expect(stored).not.toContain('proxy-user');

    // Only the internal credentials query opens them.
    expect(await queries.ask('remote.credentials', { id: created.id })).toEqual({
      username: 'robot',
      password: `${PASSWORD}-2`,
      clientKey: null,
      proxyUsername: 'proxy-user',
      proxyPassword: PROXY_PASSWORD,
    });
  });

  it('refuses invalid fields with every problem keyed by its Pulp name, storing nothing', async () => {
    const error = await refusal(
      create({ name: 'bad', url: 'ftp://x', upstreamName: 'UPPER', policy: 'lazy' as never }),
    );
    expect(error.remoteName).toBe('ValidationError');
    expect(Object.keys(error.details as object).sort()).toEqual(['policy', 'upstream_name', 'url']);
    expect((await queries.ask('remote.list', { offset: 0, limit: 10 })).count).toBe(0);
    // The refused name was never claimed.
    await expect(create({ ...hub, name: 'bad' })).resolves.toMatchObject({ name: 'bad' });
  });

  it('keeps names unique among live remotes, and frees a name when its remote is deleted or renamed', async () => {
    const first = await create(hub);
    const duplicate = await refusal(create({ ...hub, url: 'https://quay.io' }));
    expect(duplicate.details).toEqual({ name: ['This field must be unique.'] });

    const other = await create({ ...hub, name: 'quay' });
    const renameClash = await refusal(
      queries.ask('remote.update.prepare', { id: other.id, input: { name: 'hub' }, partial: true }),
    );
    expect(renameClash.details).toEqual({ name: ['This field must be unique.'] });

    expect((await update(first.id, { name: 'docker-hub' })).state).toBe('completed');
    await expect(create({ ...hub, upstreamName: 'library/alpine' })).resolves.toMatchObject({ name: 'hub' });
    expect((await remove(other.id)).state).toBe('completed');
    await expect(create({ ...hub, name: 'quay' })).resolves.toMatchObject({ name: 'quay' });
  });

  it('gives a name to one of two concurrent creations', async () => {
    const outcomes = await Promise.allSettled([create(hub), create(hub), create(hub)]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect((await queries.ask('remote.list', { name: 'hub', offset: 0, limit: 10 })).count).toBe(1);
  });

  it('updates through a task: PATCH changes only what it names, PUT wants the required fields', async () => {
    const created = await create({ ...hub, includeTags: ['1.*'] });
    const task = await update(created.id, {
      policy: 'on_demand',
      platforms: [{ os: 'linux', architecture: 'arm64' }],
    });
    expect(task).toMatchObject({ state: 'completed', name: REMOTE_UPDATE_TASK, error: null });
    const read = await queries.ask('remote.get', { id: created.id });
    expect(read).toMatchObject({
      policy: 'on_demand',
      platforms: [{ os: 'linux', architecture: 'arm64' }],
      includeTags: ['1.*'],
    });
    expect(read.updatedAt > created.updatedAt).toBe(true);

    const partialPut = await refusal(
      queries.ask('remote.update.prepare', { id: created.id, input: { policy: 'streamed' }, partial: false }),
    );
    expect(partialPut.details).toEqual({
      name: ['This field is required.'],
      url: ['This field is required.'],
      upstream_name: ['This field is required.'],
    });
    const badPatch = await refusal(
      queries.ask('remote.update.prepare', { id: created.id, input: { url: 'nope' }, partial: true }),
    );
    expect(badPatch.details).toEqual({ url: ['Enter a valid URL.'] });
  });

  it('deletes through a task; the remote is gone from reads and lists, and a second delete fails the task', async () => {
    const created = await create(hub);
    expect((await remove(created.id)).state).toBe('completed');
    expect((await refusal(queries.ask('remote.get', { id: created.id }))).remoteName).toBe('NotFoundError');
    expect((await queries.ask('remote.list', { offset: 0, limit: 10 })).count).toBe(0);
    const missing = await refusal(
      queries.ask('remote.update.prepare', { id: created.id, input: { policy: 'streamed' }, partial: true }),
    );
    expect(missing.remoteName).toBe('NotFoundError');
    const never = await remove('00000000-0000-4000-8000-000000000000');
    expect(never).toMatchObject({
      state: 'failed',
      error: { description: expect.stringMatching(/remote .* not found/) },
    });
  });

  it('lists with name filters, sorted by name, paged by offset and limit', async () => {
    for (const name of ['mirror-b', 'mirror-a', 'upstream', 'team-mirror']) await create({ ...hub, name });
    const page = (request: Partial<ListRemotesRequest>) =>
      queries.ask('remote.list', { offset: 0, limit: 100, ...request });
    const names = async (request: Partial<ListRemotesRequest>) =>
      (await page(request)).results.map((r) => r.name);
    expect(await names({})).toEqual(['mirror-a', 'mirror-b', 'team-mirror', 'upstream']);
    expect(await names({ nameStartsWith: 'mirror' })).toEqual(['mirror-a', 'mirror-b']);
    expect(await names({ nameContains: 'mirror' })).toEqual(['mirror-a', 'mirror-b', 'team-mirror']);
    expect(await names({ name: 'upstream' })).toEqual(['upstream']);
    expect(await page({ offset: 1, limit: 2 })).toMatchObject({
      count: 4,
      results: [{ name: 'mirror-b' }, { name: 'team-mirror' }],
    });
  });

  it('keeps remotes and their sealed credentials across a restart', async () => {
    const created = await create({ ...hub, username: 'robot', password: PASSWORD });
    await restart();
    expect(await queries.ask('remote.get', { id: created.id })).toEqual(created);
    expect((await queries.ask('remote.credentials', { id: created.id })).password).toBe(PASSWORD);
    await expect(create(hub)).rejects.toThrow(/must be unique/);
  });

  it('cannot open credentials under another key, and says so', async () => {
    const created = await create({ ...hub, password: PASSWORD });
    secretKey = SecretBox.generateKey();
    await restart();
    await expect(queries.ask('remote.credentials', { id: created.id })).rejects.toThrow(
      /different WHARF_SECRET_KEY/,
    );
  });

  it('without WHARF_SECRET_KEY serves remotes without credentials and refuses credentials, naming the setting', async () => {
    secretKey = undefined;
    await restart();
    await expect(create(hub)).resolves.toMatchObject({ name: 'hub' });
    const error = await refusal(create({ ...hub, name: 'private', password: PASSWORD }));
    expect(error.message).toMatch(/WHARF_SECRET_KEY is not set/);
    expect(error.message).not.toContain(PASSWORD);
    expect((await queries.ask('remote.list', { name: 'private', offset: 0, limit: 1 })).count).toBe(0);
  });
});
