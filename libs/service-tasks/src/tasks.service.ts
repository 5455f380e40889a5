import { randomUUID } from 'node:crypto';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EventStore, MessageBus, WrongExpectedVersionError } from '@wharf/ports';
import {
  runTaskSubject,
  type DispatchTaskRequest,
  type RunTaskCommand,
  type TaskReport,
  type TaskReportReply,
  type TaskView,
} from '@wharf/contracts';
import {
  decideTask,
  evolveTask,
  isTaskEvent,
  isUnblocked,
  TaskNotFoundError,
  type Task,
  type TaskCommand,
} from '@wharf/domain-task';
import { contextFromHeaders, runDetached, runInContext } from '@wharf/runtime';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { TASK_STREAM_PREFIX, TaskBoard, toTaskView } from './task-board.projection.js';

const MAX_ATTEMPTS = 10;

/**
 * The task registry: records tasks, starts each when no earlier unfinished task holds a resource it needs
 * (so tasks on one repository run one at a time, in order, and tasks on different repositories in parallel),
 * and records what workers report. Work reaches workers as durable commands on `tasks.run.<worker>`; a
 * command is re-sent under the same message id after a restart, and workers' reports are idempotent, so a
 * task survives the restart of the registry, of the gateway and of the worker running it.
 */
@Injectable()
export class TasksService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('tasks');
  private scheduling: Promise<void> = Promise.resolve();
  private rescheduleRequested = false;

  constructor(
    private readonly store: EventStore,
    private readonly bus: MessageBus,
    private readonly board: TaskBoard,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.board.start((_id, task) => {
      if (task.state !== 'waiting' && task.state !== 'running') this.schedule();
    });
    await this.board.caughtUpNow();
    // Commands of dispatched, unfinished tasks may have been lost with an in-process bus: send them again. On
    // JetStream the same message id is dropped as a duplicate; a task that runs twice is reported idempotently.
    for (const task of this.board.unfinished().filter((t) => t.dispatched)) await this.sendRun(task);
    this.schedule();
  }

  async onModuleDestroy(): Promise<void> {
    await this.scheduling;
    await this.board.stop();
  }

  async dispatch(request: DispatchTaskRequest, at: Date): Promise<TaskView> {
    const taskId = randomUUID();
    await this.execute(taskId, {
      type: 'CreateTask',
      taskId,
      name: request.name,
      worker: request.worker,
      payload: request.payload ?? null,
      exclusiveResources: [...request.exclusiveResources],
      sharedResources: [...(request.sharedResources ?? [])],
      createdBy: request.createdBy ?? null,
      createdAt: at.toISOString(),
    });
    this.schedule();
    return this.view(taskId);
  }

  async cancel(taskId: string, at: Date): Promise<TaskView> {
    await this.execute(taskId, { type: 'CancelTask', at: at.toISOString() });
    return this.view(taskId);
  }

  async report(report: TaskReport, at: Date): Promise<TaskReportReply> {
    const when = at.toISOString();
    const command: TaskCommand =
      report.kind === 'started'
        ? { type: 'StartTask', at: when }
        : report.kind === 'progress'
          ? { type: 'ReportProgress', reports: report.reports, at: when }
          : report.kind === 'completed'
            ? {
                type: 'CompleteTask',
                createdResources: report.createdResources,
                result: report.result,
                at: when,
              }
            : report.kind === 'failed'
              ? { type: 'FailTask', error: { description: report.description }, at: when }
              : { type: 'ConfirmCanceled', at: when };
    const task = await this.execute(report.taskId, command);
    const finished = task.state === 'completed' || task.state === 'failed' || task.state === 'canceled';
    return { proceed: !finished, cancelRequested: task.state === 'canceling' };
  }

  view(taskId: string): TaskView {
    const task = this.board.get(taskId);
    if (!task) throw new TaskNotFoundError(taskId);
    return toTaskView(task);
  }

  /** Runs one scheduling pass after the current one; passes never overlap. */
  private schedule(): void {
    if (this.rescheduleRequested) return;
    this.rescheduleRequested = true;
    // A pass serves every waiting task, not the request that happened to wake it: it runs in no operation.
    this.scheduling = this.scheduling
      .then(() => runDetached(() => this.schedulePass()))
      .catch((error: unknown) => {
        // The next change (a new task, a finished one, a restart) schedules again.
        this.logger.error(`scheduling failed: ${(error as Error).message}`);
      });
  }

  private async schedulePass(): Promise<void> {
    this.rescheduleRequested = false;
    const unfinished = this.board.unfinished();
    for (const [index, task] of unfinished.entries()) {
      if (task.dispatched || task.state !== 'waiting') continue;
      if (!isUnblocked(task, unfinished.slice(0, index))) continue;
      const dispatched = await this.execute(task.taskId, {
        type: 'DispatchTask',
        at: new Date().toISOString(),
      });
      if (dispatched.dispatched) await this.sendRun(dispatched);
    }
  }

  /**
   * Sends the task to its worker in the context of the request that created it (trace, actor, request id, kept
   * in the metadata of the task's first event), so the work it does is traced and attributed to that request.
   */
  private async sendRun(task: Task): Promise<void> {
    const command: RunTaskCommand = { taskId: task.taskId, name: task.name, payload: task.payload };
    let created: Readonly<Record<string, string>> = {};
    for await (const event of this.store.readStream(TASK_STREAM_PREFIX + task.taskId, { limit: 1 })) {
      created = event.metadata ?? {};
    }
    await runInContext(contextFromHeaders({ ...created, taskId: task.taskId }, ROOT_CONTEXT), () =>
      this.bus.sendCommand(runTaskSubject(task.worker), { id: `run-${task.taskId}`, data: command }),
    );
  }

  /** Decide on the task's current state and append; on a concurrent append, decide again. */
  private async execute(taskId: string, command: TaskCommand): Promise<Task> {
    const stream = TASK_STREAM_PREFIX + taskId;
    for (let attempt = 1; ; attempt++) {
      let task: Task | undefined;
      let version = 0;
      for await (const event of this.store.readStream(stream)) {
        if (isTaskEvent(event)) task = evolveTask(task, event);
        version = event.position;
      }
      if (!task && command.type !== 'CreateTask') throw new TaskNotFoundError(taskId);
      const events = decideTask(command, task);
      if (events.length === 0) return task!;
      try {
        const { lastGlobalPosition } = await this.store.append(
          stream,
          events.map((e) => ({ id: randomUUID(), type: e.type, data: e.data })),
          version,
        );
        await this.board.caughtUp(lastGlobalPosition);
        return this.board.get(taskId)!;
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }
}
