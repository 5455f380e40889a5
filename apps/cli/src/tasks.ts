import type { ApiClient, AsyncOperation } from './api-client.js';
import { TaskFailedError } from './errors.js';
import { formatDuration, type Output } from './output.js';
import { ProgressBar, describeReports, summarizeReports, type ProgressReport } from './progress.js';

export interface Task {
  pulp_href: string;
  name: string;
  state: string;
  error: { description?: string } | null;
  created_resources: string[];
  progress_reports?: ProgressReport[];
  /** What the task did, in its own terms (replication counts, export paths); null until it ends. */
  result?: Record<string, unknown> | null;
  started_at?: string | null;
  finished_at?: string | null;
  pulp_created?: string;
}

const FINAL_STATES = new Set(['completed', 'failed', 'canceled', 'skipped']);
const POLL_INTERVAL_MS = 250;

/**
 * Polls a task until it ends, drawing its progress reports on the bar as they change. Resolves with the
 * completed task; a failed or canceled task is a TaskFailedError carrying the server's description.
 */
export async function waitForTask(
  client: ApiClient,
  href: string,
  bar: ProgressBar = new ProgressBar(),
): Promise<Task> {
  for (;;) {
    const task = await client.get<Task>(href);
    bar.update(describeReports(task.progress_reports ?? [], task));
    if (FINAL_STATES.has(task.state)) {
      bar.finish();
      if (task.state === 'failed' || task.state === 'canceled') {
        const why = task.error?.description ? `: ${task.error.description}` : '';
        throw new TaskFailedError(`Task ${task.pulp_href} (${task.name}) ${task.state}${why}`);
      }
      return task;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/**
 * The end of every command that starts a task: with `--no-wait` the task's href (scripts poll it with
 * `wharf task wait`); otherwise the live bar, then one summary line (or the finished task as JSON).
 */
export async function finishOperation(
  client: ApiClient,
  output: Output,
  operation: AsyncOperation,
  options: { wait: boolean; label: string; describe?: (task: Task) => string },
): Promise<Task | undefined> {
  if (!options.wait) {
    output.message(`Started ${operation.task}`, operation);
    return undefined;
  }
  const started = Date.now();
  const task = await waitForTask(
    client,
    operation.task,
    new ProgressBar(process.stderr, !output.json && Boolean(process.stderr.isTTY)),
  );
  if (output.json) {
    output.printJson(task);
    return task;
  }
  const details = [
    summarizeReports(task.progress_reports ?? []),
    options.describe?.(task) ?? describeCreated(task),
  ].filter(Boolean);
  output.line(
    `${options.label} completed in ${formatDuration(Date.now() - started)}${details.length ? `: ${details.join('; ')}` : ''}`,
  );
  return task;
}

function describeCreated(task: Task): string {
  return task.created_resources.length ? `created ${task.created_resources.join(', ')}` : '';
}
