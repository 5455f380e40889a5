import type { TaskCreatedData, TaskEvent } from './task.events.js';
import type { ProgressReport, TaskError, TaskState } from './task.model.js';

export interface Task extends Omit<TaskCreatedData, 'createdAt'> {
  readonly state: TaskState;
  readonly dispatched: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly progressReports: readonly ProgressReport[];
  readonly createdResources: readonly string[];
  readonly result: unknown;
  readonly error: TaskError | null;
}

/** Folds one task's events; undefined before its TaskCreated. */
export function evolveTask(task: Task | undefined, event: TaskEvent): Task | undefined {
  if (event.type === 'TaskCreated') {
    return {
      ...event.data,
      state: 'waiting',
      dispatched: false,
      updatedAt: event.data.createdAt,
      startedAt: null,
      finishedAt: null,
      progressReports: [],
      createdResources: [],
      result: null,
      error: null,
    };
  }
  if (!task) return task;
  const at = event.data.at;
  switch (event.type) {
    case 'TaskDispatched':
      return { ...task, dispatched: true, updatedAt: at };
    case 'TaskStarted':
      return {
        ...task,
        state: task.state === 'canceling' ? 'canceling' : 'running',
        startedAt: at,
        updatedAt: at,
      };
    case 'TaskProgressed':
      return { ...task, progressReports: event.data.reports, updatedAt: at };
    case 'TaskCompleted':
      return {
        ...task,
        state: 'completed',
        createdResources: event.data.createdResources,
        result: event.data.result,
        finishedAt: at,
        updatedAt: at,
      };
    case 'TaskFailed':
      return { ...task, state: 'failed', error: event.data.error, finishedAt: at, updatedAt: at };
    case 'TaskCancelRequested':
      return { ...task, state: 'canceling', updatedAt: at };
    case 'TaskCanceled':
      return { ...task, state: 'canceled', finishedAt: at, updatedAt: at };
  }
}
