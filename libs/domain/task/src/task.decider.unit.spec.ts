import { describe, expect, it } from 'vitest';
import {
  decideTask,
  evolveTask,
  isUnblocked,
  TaskAlreadyFinishedError,
  type Task,
  type TaskCommand,
  type TaskEvent,
} from './index.js';

const AT = '2026-12-04T12:00:00.000Z';

function created(taskId = 't1', exclusive: string[] = ['repo-a'], shared: string[] = []): TaskEvent {
  return {
    type: 'TaskCreated',
    data: {
      taskId,
      name: 'modify',
      worker: 'content',
      payload: { any: 'thing' },
      exclusiveResources: exclusive,
      sharedResources: shared,
      createdBy: 'admin',
      createdAt: AT,
    },
  };
}

/** given(events).when(command) → the events decided, or the error thrown. */
function given(...events: TaskEvent[]) {
  const task = events.reduce<Task | undefined>(evolveTask, undefined);
  return {
    task,
    when: (command: TaskCommand) => ({
      then: (expected: TaskEvent['type'][]) =>
        expect(decideTask(command, task).map((e) => e.type)).toEqual(expected),
      thenFails: (error: new (...args: never[]) => Error) =>
        expect(() => decideTask(command, task)).toThrow(error),
    }),
  };
}

describe('task lifecycle', () => {
  it('a new task waits, starts, reports progress and completes', () => {
    given()
      .when({ type: 'CreateTask', ...created().data } as TaskCommand)
      .then(['TaskCreated']);
    given(created()).when({ type: 'StartTask', at: AT }).then(['TaskStarted']);
    const running = given(created(), { type: 'TaskStarted', data: { at: AT } });
    expect(running.task?.state).toBe('running');
    running
      .when({
        type: 'ReportProgress',
        reports: [{ message: 'm', code: 'c', state: 'running', total: 2, done: 1 }],
        at: AT,
      })
      .then(['TaskProgressed']);
    running
      .when({ type: 'CompleteTask', createdResources: ['/v/1/'], result: null, at: AT })
      .then(['TaskCompleted']);
  });

  it('reports arriving again after the end decide nothing (at-least-once delivery)', () => {
    const done = given(
      created(),
      { type: 'TaskStarted', data: { at: AT } },
      {
        type: 'TaskCompleted',
        data: { createdResources: [], result: null, at: AT },
      },
    );
    done.when({ type: 'StartTask', at: AT }).then([]);
    done.when({ type: 'FailTask', error: { description: 'late' }, at: AT }).then([]);
    done.when({ type: 'CompleteTask', createdResources: [], result: null, at: AT }).then([]);
  });

  it('canceling a waiting task cancels it at once; a running one is asked to stop', () => {
    given(created()).when({ type: 'CancelTask', at: AT }).then(['TaskCanceled']);
    const running = given(created(), { type: 'TaskStarted', data: { at: AT } });
    running.when({ type: 'CancelTask', at: AT }).then(['TaskCancelRequested']);
    const canceling = given(
      created(),
      { type: 'TaskStarted', data: { at: AT } },
      { type: 'TaskCancelRequested', data: { at: AT } },
    );
    expect(canceling.task?.state).toBe('canceling');
    canceling.when({ type: 'ConfirmCanceled', at: AT }).then(['TaskCanceled']);
  });

  it('refuses to cancel a finished task', () => {
    given(created(), { type: 'TaskFailed', data: { error: { description: 'x' }, at: AT } })
      .when({ type: 'CancelTask', at: AT })
      .thenFails(TaskAlreadyFinishedError);
  });

  it('keeps the failure description', () => {
    const failed = given(created(), {
      type: 'TaskFailed',
      data: { error: { description: 'manifest sha256:ab missing' }, at: AT },
    });
    expect(failed.task?.error).toEqual({ description: 'manifest sha256:ab missing' });
    expect(failed.task?.finishedAt).toBe(AT);
  });
});

describe('ordering by resources', () => {
  const taskOf = (e: TaskEvent) => evolveTask(undefined, e)!;

  it('a task waits for an earlier unfinished task on the same resource', () => {
    expect(isUnblocked(taskOf(created('t2', ['repo-a'])), [taskOf(created('t1', ['repo-a']))])).toBe(false);
  });

  it('tasks on different resources run side by side', () => {
    expect(isUnblocked(taskOf(created('t2', ['repo-b'])), [taskOf(created('t1', ['repo-a']))])).toBe(true);
  });

  it('readers share a resource, but a writer waits for them and they wait for a writer', () => {
    const reader1 = taskOf(created('r1', [], ['repo-a']));
    const reader2 = taskOf(created('r2', [], ['repo-a']));
    const writer = taskOf(created('w', ['repo-a']));
    expect(isUnblocked(reader2, [reader1])).toBe(true);
    expect(isUnblocked(writer, [reader1])).toBe(false);
    expect(isUnblocked(reader2, [writer])).toBe(false);
  });

  it('a finished earlier task no longer blocks', () => {
    const finished = evolveTask(taskOf(created('t1', ['repo-a'])), {
      type: 'TaskCanceled',
      data: { at: AT },
    })!;
    expect(isUnblocked(taskOf(created('t2', ['repo-a'])), [finished])).toBe(true);
  });
});
