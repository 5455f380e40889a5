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
 * How long a worker that was told to stop (SIGTERM) lets its running tasks finish before it hands them back to
 * the bus: well inside Kubernetes' default 30 s termination grace period, with time left to close the rest.
 */
const SHUTDOWN_GRACE_MS = 5_000;

/**
 * Runs the tasks the registry hands this service (`tasks.run.<worker>`), reporting start, progress and the
 * outcome. A handler's failure is the task's failure (the command is acknowledged: failing again would not
 * help); a report that cannot reach the registry leaves the command unacknowledged, so it is delivered again.
 * Handlers must be idempotent: a task may run again after a crash. The ack wait (WHARF_TASK_ACK_WAIT_MS) is
 * how long a dead worker's task waits for another worker; a live worker keeps its task however long it runs
 * by telling the bus it is working. On shutdown a task still running after a short grace is handed back (its
 * command fails here, so the bus offers it again at once) rather than left to the ack wait, which would keep
 * it from every other worker for up to WHARF_TASK_ACK_WAIT_MS.
 */
@Injectable()
export class TaskWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger: Logger;
  private readonly handlers = new Map<string, TaskHandler>();
  private consumer?: BusConsumer;
  /** Commands being run; shutdown waits for them to finish or be handed back. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Aborted when the grace for running tasks is over: they are handed back and may report nothing more. */
  private readonly handingBack = new AbortController();

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
      (message) => this.track(this.runWithHeartbeat(message)),
      { concurrency: 4, ackWaitMs: this.ackWaitMs },
    );
  }

  /**
   * Stops taking tasks, then waits for the running ones, handing back those still running after the grace.
   * Their commands are settled here, before the bus closes; left unsettled, they would wait out the ack wait.
   */
  async onModuleDestroy(): Promise<void> {
    await this.consumer?.close();
    if (this.inFlight.size === 0) return;
    const grace = setTimeout(() => this.handingBack.abort(), SHUTDOWN_GRACE_MS);
    await Promise.allSettled([...this.inFlight]);
    clearTimeout(grace);
  }

  private track(running: Promise<void>): Promise<void> {
    this.inFlight.add(running);
    void running.catch(() => undefined).finally(() => this.inFlight.delete(running));
    return running;
  }

  private async report(report: TaskReport) {
    // A handed-back task runs again elsewhere; what this copy would still say (likely a failure caused by
    // the shutdown itself) must not reach the registry.
    if (this.handingBack.signal.aborted) throw new Error(`task ${report.taskId} was handed back`);
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
    // Rejects when running tasks are handed back, so the bus offers this task's command again at once.
    let handBack = () => {};
    const handedBack = new Promise<never>((_, reject) => {
      handBack = () => {
        this.logger.warn(`task ${taskId}: still running at shutdown, handed back to run elsewhere`);
        reject(new Error(`task ${taskId} was handed back: this worker is shutting down`));
      };
    });
    this.handingBack.signal.addEventListener('abort', handBack, { once: true });
    try {
      const active = withOperation({ taskId }, trace.setSpan(context.active(), span));
      // The handler is not interrupted when handed back; it runs on until the process exits, unheard.
      state = await Promise.race([runInContext(active, () => this.run(message.data)), handedBack]);
    } finally {
      this.handingBack.signal.removeEventListener('abort', handBack);
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
