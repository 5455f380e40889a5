import { Injectable } from '@nestjs/common';
import { EventStore, type EventSubscription, type StoredEvent } from '@wharf/ports';
import type { ListTasksRequest, Page, TaskView } from '@wharf/contracts';
import { evolveTask, isFinal, isTaskEvent, type Task } from '@wharf/domain-task';

export const TASK_STREAM_PREFIX = 'task-';

/**
 * Every task, folded from the task log into memory, in creation order. Writers wait for it to reach their
 * append (`caughtUp`) so the next read shows what they wrote; `onChange` drives the scheduler.
 */
@Injectable()
export class TaskBoard {
  private readonly tasks = new Map<string, Task>();
  private position = 0;
  private waiters: { position: number; resolve: () => void }[] = [];
  private subscription?: EventSubscription;
  private listener: (task: Task) => void = () => undefined;

  constructor(private readonly store: EventStore) {}

  start(onChange: (task: Task) => void): void {
    this.listener = onChange;
    this.subscription = this.store.subscribe(0, async (event) => this.apply(event));
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
  }

  caughtUp(globalPosition: number): Promise<void> {
    if (this.position >= globalPosition) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ position: globalPosition, resolve }));
  }

  /** Catches up with everything stored so far. */
  async caughtUpNow(): Promise<void> {
    let last = this.position;
    for (;;) {
      const batch = await this.store.readAll({ after: last, limit: 1000 });
      if (!batch.length) break;
      last = batch[batch.length - 1]!.globalPosition;
    }
    await this.caughtUp(last);
  }

  get(id: string): Task | undefined {
    return this.tasks.get(id);
  }

  /** Unfinished tasks in creation order. */
  unfinished(): Task[] {
    return [...this.tasks.values()].filter((t) => !isFinal(t.state));
  }

  list(request: ListTasksRequest): Page<TaskView> {
    const matching = [...this.tasks.values()]
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

  private async apply(event: StoredEvent): Promise<void> {
    if (event.stream.startsWith(TASK_STREAM_PREFIX) && isTaskEvent(event)) {
      const id = event.stream.slice(TASK_STREAM_PREFIX.length);
      const task = evolveTask(this.tasks.get(id), event);
      if (task) {
        this.tasks.set(id, task);
        this.listener(task);
      }
    }
    this.position = event.globalPosition;
    const ready = this.waiters.filter((w) => w.position <= this.position);
    if (ready.length) {
      this.waiters = this.waiters.filter((w) => w.position > this.position);
      ready.forEach((w) => w.resolve());
    }
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
