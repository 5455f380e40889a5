import { ConflictError, NotFoundError } from '@wharf/contracts';
import type { TaskCreatedData, TaskEvent } from './task.events.js';
import { isFinal, type ProgressReport, type TaskError } from './task.model.js';
import type { Task } from './task.state.js';

export type TaskCommand =
  | ({ readonly type: 'CreateTask' } & TaskCreatedData)
  | { readonly type: 'DispatchTask'; readonly at: string }
  | { readonly type: 'StartTask'; readonly at: string }
  | { readonly type: 'ReportProgress'; readonly reports: readonly ProgressReport[]; readonly at: string }
  | {
      readonly type: 'CompleteTask';
      readonly createdResources: readonly string[];
      readonly result: unknown;
      readonly at: string;
    }
  | { readonly type: 'FailTask'; readonly error: TaskError; readonly at: string }
  | { readonly type: 'CancelTask'; readonly at: string }
  | { readonly type: 'ConfirmCanceled'; readonly at: string };

export class TaskNotFoundError extends NotFoundError {
  constructor(taskId: string) {
    super(`task ${taskId}`);
  }
}

export class TaskAlreadyFinishedError extends ConflictError {
  constructor(taskId: string, state: string) {
    super(`task ${taskId} is already in state ${state}`);
  }
}

/**
 * Decides a task command. Worker reports arrive at least once and possibly out of order (a redelivered
 * command starts a task again; a report can trail a cancel), so every report on a task already past it
 * decides nothing instead of failing: the first final state wins. Pure.
 */
export function decideTask(command: TaskCommand, task: Task | undefined): TaskEvent[] {
  if (command.type === 'CreateTask') {
    if (task) return [];
    const { type: _type, ...data } = command;
    return [{ type: 'TaskCreated', data }];
  }
  if (!task) throw new TaskNotFoundError('(unknown)');
  const at = command.at;
  const final = isFinal(task.state);
  switch (command.type) {
    case 'DispatchTask':
      return task.dispatched || final ? [] : [{ type: 'TaskDispatched', data: { at } }];
    case 'StartTask':
      return task.state === 'waiting' ? [{ type: 'TaskStarted', data: { at } }] : [];
    case 'ReportProgress':
      return final ? [] : [{ type: 'TaskProgressed', data: { reports: command.reports, at } }];
    case 'CompleteTask':
      return final
        ? []
        : [
            {
              type: 'TaskCompleted',
              data: { createdResources: command.createdResources, result: command.result, at },
            },
          ];
    case 'FailTask':
      return final ? [] : [{ type: 'TaskFailed', data: { error: command.error, at } }];
    case 'CancelTask':
      if (final) throw new TaskAlreadyFinishedError(task.taskId, task.state);
      if (task.state === 'canceling') return [];
      // A task no worker has started yet is canceled at once; a running one is asked to stop.
      return task.state === 'waiting'
        ? [{ type: 'TaskCanceled', data: { at } }]
        : [{ type: 'TaskCancelRequested', data: { at } }];
    case 'ConfirmCanceled':
      return final ? [] : [{ type: 'TaskCanceled', data: { at } }];
  }
}

/**
 * Whether `task` may run now: no earlier unfinished task holds one of its resources exclusively, and it
 * holds none exclusively that an earlier unfinished task uses. `earlier` lists unfinished tasks created before it.
 */
export function isUnblocked(task: Task, earlier: Iterable<Task>): boolean {
  const mine = new Set(task.exclusiveResources);
  const shared = new Set(task.sharedResources);
  for (const other of earlier) {
    if (isFinal(other.state)) continue;
    if (other.exclusiveResources.some((r) => mine.has(r) || shared.has(r))) return false;
    if (other.sharedResources.some((r) => mine.has(r))) return false;
  }
  return true;
}
