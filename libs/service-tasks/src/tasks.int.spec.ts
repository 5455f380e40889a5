import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Injectable, Module, type INestApplication, type OnModuleInit } from '@nestjs/common';
import { createProcessApplication, loadSettings, Queries, TaskWorker, taskWorker } from '@wharf/runtime';
import type { TaskView } from '@wharf/contracts';
import { TasksModule } from './tasks.module.js';

/** A worker service with a few task handlers whose timing the tests control. */
const gates = new Map<string, () => void>();
const started: string[] = [];

@Injectable()
class TestHandlers implements OnModuleInit {
  constructor(private readonly worker: TaskWorker) {}
  onModuleInit(): void {
    this.worker.register<{ label: string }>('test.gated', async ({ payload }) => {
      started.push(payload.label);
      await new Promise<void>((resolve) => gates.set(payload.label, resolve));
      return { createdResources: [`/pulp/api/v3/made/${payload.label}/`], result: { label: payload.label } };
    });
    this.worker.register('test.fails', async () => {
      throw new Error('manifest sha256:abc is not in repository demo');
    });
    this.worker.register('test.cancellable', async ({ progress }) => {
      for (let done = 0; ; done++) {
        await progress([{ message: 'Working', code: 'test.working', state: 'running', total: null, done }]);
        await new Promise((r) => setTimeout(r, 20));
      }
    });
  }
}

@Module({ providers: [...taskWorker('test'), TestHandlers] })
class TestWorkerModule {}

describe('the task registry with a worker (embedded adapters)', () => {
  let dataDir: string;
  let app: INestApplication;
  let queries: Queries;

  const start = async () => {
    const settings = loadSettings(
      { WHARF_DATA_DIR: dataDir },
      { bus: 'memory', eventStore: 'sqlite', blobStore: 'fs', httpPortVariable: 'X', httpPort: 0 },
    );
    app = await createProcessApplication('test', settings, [TasksModule, TestWorkerModule], false);
    await app.init();
    queries = app.get(Queries);
  };
  const dispatch = (name: string, resources: string[], label = name) =>
    queries.ask('tasks.dispatch', {
      name,
      worker: 'test',
      payload: { label },
      exclusiveResources: resources,
    });
  const settled = async (id: string, states = ['completed', 'failed', 'canceled']): Promise<TaskView> => {
    for (let i = 0; i < 200; i++) {
      const task = await queries.ask('tasks.get', { id });
      if (states.includes(task.state)) return task;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`task ${id} did not reach ${states.join('/')}`);
  };
  const waitFor = async (condition: () => boolean) => {
    for (let i = 0; i < 200 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(condition()).toBe(true);
  };

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-tasks-'));
    gates.clear();
    started.length = 0;
    await start();
  });

  afterEach(async () => {
    await app?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs a task to completion and records what it created', async () => {
    const task = await dispatch('test.gated', ['repo-a'], 'one');
    expect(task.state).toBe('waiting');
    await waitFor(() => gates.has('one'));
    expect((await queries.ask('tasks.get', { id: task.id })).state).toBe('running');
    gates.get('one')!();
    const done = await settled(task.id);
    expect(done.state).toBe('completed');
    expect(done.createdResources).toEqual(['/pulp/api/v3/made/one/']);
    expect(done.result).toEqual({ label: 'one' });
    expect(done.finishedAt).not.toBeNull();
  });

  it('runs tasks on one resource one at a time, in order, and on different resources side by side', async () => {
    const first = await dispatch('test.gated', ['repo-a'], 'a1');
    const second = await dispatch('test.gated', ['repo-a'], 'a2');
    const other = await dispatch('test.gated', ['repo-b'], 'b1');
    await waitFor(() => gates.has('a1') && gates.has('b1'));
    expect(started).not.toContain('a2');
    expect((await queries.ask('tasks.get', { id: second.id })).state).toBe('waiting');
    gates.get('a1')!();
    await waitFor(() => gates.has('a2'));
    expect(started.indexOf('a2')).toBeGreaterThan(started.indexOf('a1'));
    gates.get('a2')!();
    gates.get('b1')!();
    for (const t of [first, second, other]) expect((await settled(t.id)).state).toBe('completed');
  });

  it('fails a task with the handler error as its description', async () => {
    const task = await dispatch('test.fails', ['repo-a']);
    const failed = await settled(task.id);
    expect(failed.state).toBe('failed');
    expect(failed.error?.description).toBe('manifest sha256:abc is not in repository demo');
  });

  it('cancels a waiting task at once and a running one at its next progress report', async () => {
    const running = await dispatch('test.cancellable', ['repo-a']);
    const waiting = await dispatch('test.gated', ['repo-a'], 'never');
    await settled(running.id, ['running']);
    expect((await queries.ask('tasks.cancel', { id: waiting.id })).state).toBe('canceled');
    expect(['canceling', 'canceled']).toContain(
      (await queries.ask('tasks.cancel', { id: running.id })).state,
    );
    expect((await settled(running.id)).state).toBe('canceled');
    expect(started).not.toContain('never');
    await expect(queries.ask('tasks.cancel', { id: running.id })).rejects.toThrow(
      /already in state canceled/,
    );
  });

  it('lists tasks newest first with filters', async () => {
    const failing = await dispatch('test.fails', ['repo-x']);
    await settled(failing.id);
    const page = await queries.ask('tasks.list', { state: 'failed', offset: 0, limit: 10 });
    expect(page.results.map((t) => t.id)).toContain(failing.id);
    const byResource = await queries.ask('tasks.list', { reservedResource: 'repo-x', offset: 0, limit: 10 });
    expect(byResource.count).toBe(1);
  });

  it('keeps tasks across a restart and runs again what was interrupted', async () => {
    const task = await dispatch('test.gated', ['repo-a'], 'interrupted');
    await waitFor(() => gates.has('interrupted'));
    gates.delete('interrupted');
    await app.close(); // the worker dies mid-task; its in-process command is gone with it
    await start();
    await waitFor(() => gates.has('interrupted'));
    gates.get('interrupted')!();
    expect((await settled(task.id)).state).toBe('completed');
  });
});
