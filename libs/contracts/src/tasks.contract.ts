import type { Page } from './repository.contract.js';

/** One line of a task's progress, as Pulp reports it (`progress_reports`). */
export interface ProgressReport {
  readonly message: string;
  /** Stable machine-readable name, e.g. `sync.downloading.blobs`. */
  readonly code: string;
  readonly state: 'waiting' | 'running' | 'completed' | 'failed' | 'canceled' | 'skipped';
  readonly total: number | null;
  readonly done: number;
  readonly suffix?: string | null;
}

/** A task as clients see it (the gateway shapes it into Pulp's TaskResponse). */
export interface TaskView {
  readonly id: string;
  readonly name: string;
  readonly worker: string;
  readonly state: 'waiting' | 'running' | 'completed' | 'failed' | 'canceling' | 'canceled';
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly createdBy: string | null;
  readonly progressReports: readonly ProgressReport[];
  /** Hrefs of what the task made (a repository version, a publication...). */
  readonly createdResources: readonly string[];
  readonly exclusiveResources: readonly string[];
  readonly sharedResources: readonly string[];
  readonly result: unknown;
  readonly error: { readonly description: string } | null;
}

export interface DispatchTaskRequest {
  readonly name: string;
  /** Which service's worker runs it; its commands arrive on `tasks.run.<worker>`. */
  readonly worker: string;
  readonly payload: unknown;
  readonly exclusiveResources: readonly string[];
  readonly sharedResources?: readonly string[];
  readonly createdBy?: string | null;
}

export interface ListTasksRequest {
  readonly state?: string;
  readonly stateIn?: readonly string[];
  readonly name?: string;
  readonly nameContains?: string;
  readonly createdResource?: string;
  readonly reservedResource?: string;
  readonly offset: number;
  readonly limit: number;
}

/** A worker's word on a task it runs. */
export type TaskReport =
  | { readonly taskId: string; readonly kind: 'started' }
  | { readonly taskId: string; readonly kind: 'progress'; readonly reports: readonly ProgressReport[] }
  | {
      readonly taskId: string;
      readonly kind: 'completed';
      readonly createdResources: readonly string[];
      readonly result: unknown;
    }
  | { readonly taskId: string; readonly kind: 'failed'; readonly description: string }
  | { readonly taskId: string; readonly kind: 'canceled' };

export interface TaskReportReply {
  /** False when the task is already finished (a redelivered command): the worker skips it. */
  readonly proceed: boolean;
  readonly cancelRequested: boolean;
}

/** What a worker receives on `tasks.run.<worker>`. */
export interface RunTaskCommand {
  readonly taskId: string;
  readonly name: string;
  readonly payload: unknown;
}

export function runTaskSubject(worker: string): string {
  return `tasks.run.${worker}`;
}

export interface TaskQueryMap {
  'tasks.dispatch': { request: DispatchTaskRequest; response: TaskView };
  'tasks.get': { request: { id: string }; response: TaskView };
  'tasks.list': { request: ListTasksRequest; response: Page<TaskView> };
  'tasks.cancel': { request: { id: string }; response: TaskView };
  'tasks.report': { request: TaskReport; response: TaskReportReply };
}
