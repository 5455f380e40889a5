import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
  type Provider,
} from '@nestjs/common';
import { BusConsumer, MessageBus, type BusMessage } from '@wharf/ports';
import { runTaskSubject, type ProgressReport, type RunTaskCommand, type TaskReport } from '@wharf/contracts';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { Infrastructure } from './infrastructure.js';
import { Queries } from './queries.js';
import { runInContext, withOperation } from './observability/operation-context.js';
import { taskDuration, tasksFinished, tasksRunning } from './observability/metrics.js';

/** What a task handler gets: its arguments and a way to report progress. */
export interface TaskContext<P = unknown> {
  readonly taskId: string;
  readonly payload: P;
  /** Replaces the task's progress reports; throws TaskCanceledError once a cancel was requested. */
  progress(reports: readonly ProgressReport[]): Promise<void>;
}

export interface TaskOutcome {
  readonly createdResources?: readonly string[];
  readonly result?: unknown;
}

export type TaskHandler<P = unknown> = (context: TaskContext<P>) => Promise<TaskOutcome | void>;

export class TaskCanceledError extends Error {
  constructor(taskId: string) {
    super(`task ${taskId} was canceled`);
    this.name = 'TaskCanceledError';
  }
}

const WORKER_NAME = Symbol('WORKER_NAME');

/** How many times per ack wait a running task tells the bus it is alive, so one late beat costs nothing. */
const HEARTBEATS_PER_ACK_WAIT = 3;

/**
 * Runs the tasks the registry hands this service (`tasks.run.<worker>`), reporting start, progress and the
 * outcome. A handler's failure is the task's failure (the command is acknowledged: failing again would not
 * help); a report that cannot reach the registry leaves the command unacknowledged, so it is delivered again.
 * Handlers must be idempotent: a task may run again after a crash. The ack wait (WHARF_TASK_ACK_WAIT_MS) is
 * how long a dead worker's task waits for another worker; a live worker keeps its task however long it runs
 * by telling the bus it is working.
 */
@Injectable()
export class TaskWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger: Logger;
  private readonly handlers = new Map<string, TaskHandler>();
  private consumer?: BusConsumer;

  private readonly ackWaitMs: number;

  constructor(
    private readonly bus: MessageBus,
    private readonly queries: Queries,
    infrastructure: Infrastructure,
    @Inject(WORKER_NAME) private readonly worker: string,
  ) {
    this.logger = new Logger(`${worker}-tasks`);
    this.ackWaitMs = infrastructure.settings.taskAckWaitMs;
  }

  register<P>(name: string, handler: TaskHandler<P>): void {
    this.handlers.set(name, handler as TaskHandler);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.consumer = await this.bus.consumeCommands<RunTaskCommand>(
      runTaskSubject(this.worker),
      (message) => this.runWithHeartbeat(message),
      { concurrency: 4, ackWaitMs: this.ackWaitMs },
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.consumer?.close();
  }

  private async report(report: TaskReport) {
    return this.queries.ask('tasks.report', report);
  }

  private async runWithHeartbeat(message: BusMessage<RunTaskCommand>): Promise<void> {
    const heartbeat = setInterval(() => {
      message.working().catch((error: unknown) => {
        // A missed beat only risks a second delivery, which handlers are built to survive.
        const reason = error instanceof Error ? error.message : String(error);
        this.logger.warn(
          `task ${message.data.taskId}: telling the bus it is still running failed: ${reason}`,
        );
      });
    }, this.ackWaitMs / HEARTBEATS_PER_ACK_WAIT);
    // The command carries the dispatching request's trace and actor (see TasksService); the task id joins them
    // so every log line, query and event of the task names it.
    const { taskId, name } = message.data;
    const span = trace.getTracer('wharf').startSpan(`task ${name}`, {
      kind: SpanKind.CONSUMER,
      attributes: { 'wharf.task.id': taskId, 'wharf.task.name': name },
    });
    const stop = taskDuration.startTimer({ name });
    tasksRunning.inc({ name });
    let state: string | undefined;
    try {
      const active = withOperation({ taskId }, trace.setSpan(context.active(), span));
      state = await runInContext(active, () => this.run(message.data));
    } finally {
      clearInterval(heartbeat);
      tasksRunning.dec({ name });
      // A task this worker skipped (already finished elsewhere) or could not report on is not counted.
      if (state) {
        stop({ state });
        tasksFinished.inc({ name, state });
      }
      if (state === 'failed') span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
  }

  /** Runs the task and reports its outcome; the final state, or undefined when the worker skipped it. */
  private async run(command: RunTaskCommand): Promise<string | undefined> {
    const { taskId } = command;
    const start = await this.report({ taskId, kind: 'started' });
    if (!start.proceed) return;
    if (start.cancelRequested) {
      await this.report({ taskId, kind: 'canceled' });
      return 'canceled';
    }
    const handler = this.handlers.get(command.name);
    if (!handler) {
      await this.report({
        taskId,
        kind: 'failed',
        description: `this worker cannot run tasks named ${command.name}`,
      });
      return 'failed';
    }
    let outcome: TaskOutcome | void;
    try {
      outcome = await handler({
        taskId,
        payload: command.payload,
        progress: async (reports) => {
          const reply = await this.report({ taskId, kind: 'progress', reports });
          if (reply.cancelRequested) throw new TaskCanceledError(taskId);
        },
      });
    } catch (error) {
      if (error instanceof TaskCanceledError) {
        await this.report({ taskId, kind: 'canceled' });
        return 'canceled';
      }
      const description = error instanceof Error ? error.message : String(error);
      this.logger.warn(`task ${taskId} (${command.name}) failed: ${description}`);
      await this.report({ taskId, kind: 'failed', description });
      return 'failed';
    }
    await this.report({
      taskId,
      kind: 'completed',
      createdResources: [...(outcome?.createdResources ?? [])],
      result: outcome?.result ?? null,
    });
    return 'completed';
  }
}

/** The TaskWorker of a service module, consuming `tasks.run.<worker>`. */
export function taskWorker(worker: string): Provider[] {
  return [{ provide: WORKER_NAME, useValue: worker }, TaskWorker];
}
