import type { ProgressReport } from '@wharf/contracts';

type Stage = 'tags' | 'manifests' | 'blobs' | 'bytes' | 'associating';

interface Counter {
  readonly message: string;
  readonly code: string;
  state: ProgressReport['state'];
  total: number | null;
  done: number;
}

// Each report is a bus round trip to the task registry; a sync of many small blobs must not send one per blob.
const MIN_REPORT_INTERVAL_MS = 500;

/**
 * A sync's progress reports (tags listed, manifests and blobs done of those found so far, bytes
 * downloaded). Counters change freely; `report` sends them at most twice a second unless forced.
 */
export class SyncProgress {
  private readonly counters: Record<Stage, Counter> = {
    tags: counter('Listing tags', 'sync.listing.tags'),
    manifests: counter('Downloading manifests', 'sync.downloading.manifests'),
    blobs: counter('Downloading blobs', 'sync.downloading.blobs'),
    bytes: counter('Downloading bytes', 'sync.downloading.bytes'),
    associating: counter('Associating content', 'sync.associating.content'),
  };
  private lastReportAt = 0;

  constructor(private readonly send: (reports: readonly ProgressReport[]) => Promise<void>) {}

  start(stage: Stage, total: number | null = null): void {
    Object.assign(this.counters[stage], { state: 'running', total });
  }

  /** Adds to what a stage has to do (lists reveal their children as they are read). */
  expect(stage: Stage, more: number): void {
    const entry = this.counters[stage];
    entry.total = (entry.total ?? 0) + more;
  }

  advance(stage: Stage, by = 1): void {
    this.counters[stage].done += by;
  }

  complete(...stages: Stage[]): void {
    for (const stage of stages) this.counters[stage].state = 'completed';
  }

  async report(force = false): Promise<void> {
    const now = Date.now();
    if (!force && now - this.lastReportAt < MIN_REPORT_INTERVAL_MS) return;
    this.lastReportAt = now;
    await this.send(Object.values(this.counters).map((entry) => ({ ...entry })));
  }
}

function counter(message: string, code: string): Counter {
  return { message, code, state: 'waiting', total: null, done: 0 };
}
