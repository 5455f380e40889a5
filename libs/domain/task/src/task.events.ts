import type { ProgressReport, TaskError } from './task.model.js';

export interface TaskCreatedData {
  readonly taskId: string;
  /** What the task does, Pulp-style (`pulp_container.app.tasks.synchronize`). */
  readonly name: string;
  /** The service whose worker runs it (`content`, `sync`, ...). */
  readonly worker: string;
  /** The work's arguments; never secrets (workers look those up themselves). */
  readonly payload: unknown;
  /** Resources the task changes: tasks sharing one run one at a time, in creation order. */
  readonly exclusiveResources: readonly string[];
  /** Resources the task only reads: it waits for earlier tasks that change them. */
  readonly sharedResources: readonly string[];
  readonly createdBy: string | null;
  readonly createdAt: string;
}

export type TaskEvent =
  | { readonly type: 'TaskCreated'; readonly data: TaskCreatedData }
  | { readonly type: 'TaskDispatched'; readonly data: { readonly at: string } }
  | { readonly type: 'TaskStarted'; readonly data: { readonly at: string } }
  | {
      readonly type: 'TaskProgressed';
      readonly data: { readonly reports: readonly ProgressReport[]; readonly at: string };
    }
  | {
      readonly type: 'TaskCompleted';
      readonly data: {
        readonly createdResources: readonly string[];
        readonly result: unknown;
        readonly at: string;
      };
    }
  | { readonly type: 'TaskFailed'; readonly data: { readonly error: TaskError; readonly at: string } }
  | { readonly type: 'TaskCancelRequested'; readonly data: { readonly at: string } }
  | { readonly type: 'TaskCanceled'; readonly data: { readonly at: string } };

export const TASK_EVENT_TYPES: readonly TaskEvent['type'][] = [
  'TaskCreated',
  'TaskDispatched',
  'TaskStarted',
  'TaskProgressed',
  'TaskCompleted',
  'TaskFailed',
  'TaskCancelRequested',
  'TaskCanceled',
];

export function isTaskEvent(event: { readonly type: string; readonly data: unknown }): event is TaskEvent {
  return (TASK_EVENT_TYPES as readonly string[]).includes(event.type);
}
