import { Injectable } from '@nestjs/common';
import { EventStore, type StoredEvent } from '@wharf/ports';
import { FoldedDirectory } from '@wharf/runtime';
import type { ListTasksRequest, Page, TaskView } from '@wharf/contracts';
import { evolveTask, isFinal, isTaskEvent, type Task } from '@wharf/domain-task';

export const TASK_STREAM_PREFIX = 'task-';

/**
 * Every task, folded from the task log into memory, in creation order. Writers wait for it to reach their
 * append (`caughtUp`) so the next read shows what they wrote; `onChange` drives the scheduler.
 */
@Injectable()
export class TaskBoard extends FoldedDirectory<Task> {
  constructor(store: EventStore) {
    super(store, TASK_STREAM_PREFIX);
  }

  protected fold(task: Task | undefined, event: StoredEvent): Task | undefined {
    return isTaskEvent(event) ? evolveTask(task, event) : undefined;
  }

  get(id: string): Task | undefined {
    return this.states.get(id);
  }

  /** Unfinished tasks in creation order. */
  unfinished(): Task[] {
    return [...this.states.values()].filter((t) => !isFinal(t.state));
  }

  list(request: ListTasksRequest): Page<TaskView> {
    const matching = [...this.states.values()]
      .filter((t) => !request.state || t.state === request.state)
      .filter((t) => !request.stateIn?.length || request.stateIn.includes(t.state))
      .filter((t) => !request.name || t.name === request.name)
      .filter((t) => !request.nameContains || t.name.includes(request.nameContains))
      .filter((t) => !request.createdResource || t.createdResources.includes(request.createdResource))
      .filter(
        (t) =>
          !request.reservedResource ||
          t.exclusiveResources.includes(request.reservedResource) ||
          t.sharedResources.includes(request.reservedResource),
      )
      .reverse(); // newest first, as Pulp lists tasks
    return {
      count: matching.length,
      results: matching.slice(request.offset, request.offset + request.limit).map(toTaskView),
    };
  }
}

export function toTaskView(task: Task): TaskView {
  return {
    id: task.taskId,
    name: task.name,
    worker: task.worker,
    state: task.state,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
    startedAt: task.startedAt,
    finishedAt: task.finishedAt,
    createdBy: task.createdBy,
    progressReports: task.progressReports,
    createdResources: task.createdResources,
    exclusiveResources: task.exclusiveResources,
    sharedResources: task.sharedResources,
    result: task.result,
    error: task.error,
  };
}
