import { formatBytes } from './output.js';

/** A task's progress report, as the REST API shows it. */
export interface ProgressReport {
  message: string;
  code: string;
  state: string;
  total: number | null;
  done: number;
}

const BAR_WIDTH = 30;

/**
 * A one-line live progress bar on a terminal (stderr), redrawn in place. Off the terminal it draws nothing,
 * so piped output and logs hold only results.
 */
export class ProgressBar {
  private drawn = false;

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    readonly enabled: boolean = Boolean(stream.isTTY),
  ) {}

  update(line: string): void {
    if (!this.enabled) return;
    const width = this.stream.columns || 100;
    this.stream.write(`\r${line.slice(0, width - 1)}\x1b[K`);
    this.drawn = true;
  }

  /** Leaves the last drawing on its own line, so what follows does not overwrite it. */
  finish(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}

export function bar(done: number, total: number | null): string {
  if (!total) return `[${'-'.repeat(BAR_WIDTH)}]`;
  const filled = Math.min(BAR_WIDTH, Math.round((done / total) * BAR_WIDTH));
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${Math.floor((done / total) * 100)}%`;
}

const isBytes = (report: ProgressReport) => report.code.endsWith('.bytes');

/**
 * The line for a task's reports. Item stages (tags, manifests, blobs, ...) run one after another, so the bar
 * follows the stage at work (the last one started), and the bytes moved so far ride along.
 */
export function describeReports(
  reports: readonly ProgressReport[],
  task: { name: string; state: string },
): string {
  const items = reports.filter((report) => !isBytes(report));
  const current =
    [...items].reverse().find((report) => report.state === 'running') ??
    [...items].reverse().find((report) => report.state !== 'waiting' && report.state !== 'skipped');
  const bytes = reports.find(isBytes);
  const parts: string[] = [];
  if (current) {
    const count = current.total === null ? `${current.done}` : `${current.done}/${current.total}`;
    parts.push(`${bar(current.done, current.total)} ${current.message} ${count}`);
  } else {
    // Tasks without reports (commits, small changes) show what they are and their state.
    const finished = task.state === 'completed';
    parts.push(
      `${finished ? bar(1, 1) : bar(0, null)} ${task.name.split('.').pop()!.replaceAll('_', ' ')} ${task.state}`,
    );
  }
  if (bytes && bytes.done > 0) parts.push(formatBytes(bytes.done));
  return parts.join(', ');
}

/** What a finished task did, counted from its reports: `tags 2, manifests 3, blobs 5, 1.2 MiB, content 10`. */
export function summarizeReports(reports: readonly ProgressReport[]): string {
  const parts = reports
    .filter((report) => report.done > 0)
    .map((report) =>
      isBytes(report)
        ? formatBytes(report.done)
        : `${report.message.split(' ').pop()!.toLowerCase()} ${report.done}`,
    );
  return parts.join(', ');
}
