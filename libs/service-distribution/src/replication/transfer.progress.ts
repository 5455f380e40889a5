import type { ProgressReport } from '@wharf/contracts';

interface Counter {
  readonly message: string;
  readonly code: string;
  state: ProgressReport['state'];
  total: number | null;
  done: number;
}

// Each report is a bus round trip to the task registry; a push of many small blobs must not send one per blob.
const MIN_REPORT_INTERVAL_MS = 500;

/**
 * Progress of a push, export or import: one counter per stage (items and bytes), sent at most twice a
 * second unless forced. The stages are named by whoever creates it, in the order they are reported.
 */
export class TransferProgress<Stage extends string> {
  private readonly counters: Record<Stage, Counter>;
  private lastReportAt = 0;

  constructor(
    stages: Readonly<Record<Stage, { message: string; code: string }>>,
    private readonly send: (reports: readonly ProgressReport[]) => Promise<void> = async () => undefined,
  ) {
    this.counters = Object.fromEntries(
      Object.entries<{ message: string; code: string }>(stages).map(([stage, { message, code }]) => [
        stage,
        { message, code, state: 'waiting', total: null, done: 0 },
      ]),
    ) as Record<Stage, Counter>;
  }

  start(stage: Stage, total: number | null = null): void {
    Object.assign(this.counters[stage], { state: 'running', total });
  }

  advance(stage: Stage, by = 1): void {
    this.counters[stage].done += by;
  }

  complete(...stages: Stage[]): void {
    for (const stage of stages) this.counters[stage].state = 'completed';
  }

  /** Marks stages this run has no use for (an import that has no chunks to verify). */
  skip(...stages: Stage[]): void {
    for (const stage of stages) this.counters[stage].state = 'skipped';
  }

  done(stage: Stage): number {
    return this.counters[stage].done;
  }

  async report(force = false): Promise<void> {
    const now = Date.now();
    if (!force && now - this.lastReportAt < MIN_REPORT_INTERVAL_MS) return;
    this.lastReportAt = now;
    await this.send(Object.values<Counter>(this.counters).map((entry) => ({ ...entry })));
  }
}
