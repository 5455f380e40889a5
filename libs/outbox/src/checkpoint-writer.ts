import type { EventStore } from '@wharf/ports';

export interface CheckpointWriterOptions {
  /** Save after this many positions have been recorded since the last save. */
  readonly batchSize: number;
  /** Save no later than this after the first unsaved position. */
  readonly intervalMs: number;
  readonly onError: (error: unknown) => void;
}

/**
 * Saves a reader's progress now and then rather than after every event: a reader that crashes handles
 * again what it handled since the last save, which at-least-once consumers accept.
 */
export class CheckpointWriter {
  private unsaved = 0;
  private lastSaved: number;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Saves run one after the other, so an older position never overwrites a newer one. */
  private saving: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: EventStore,
    private readonly reader: string,
    private lastHandled: number,
    private readonly options: CheckpointWriterOptions,
  ) {
    this.lastSaved = lastHandled;
  }

  /** The last position recorded, saved or not. */
  get position(): number {
    return this.lastHandled;
  }

  /** Records that everything up to `globalPosition` is handled; saves when a batch is due. */
  async record(globalPosition: number): Promise<void> {
    this.lastHandled = globalPosition;
    this.unsaved++;
    if (this.unsaved >= this.options.batchSize) await this.flush();
    else this.saveLater();
  }

  /** Saves the last recorded position unless it is saved already. Never rejects: failures go to onError. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.unsaved = 0;
    this.saving = this.saving.then(() => this.save());
    return this.saving;
  }

  /** A last save; afterwards nothing is saved on a timer any more. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private saveLater(): void {
    if (!this.closed) this.timer ??= setTimeout(() => void this.flush(), this.options.intervalMs);
  }

  private async save(): Promise<void> {
    const position = this.lastHandled;
    if (position === this.lastSaved) return;
    try {
      await this.store.saveCheckpoint(this.reader, position);
      this.lastSaved = position;
    } catch (error) {
      this.options.onError(
        new Error(`checkpoint ${this.reader}: saving position ${position} failed; will try again`, {
          cause: error,
        }),
      );
      this.saveLater();
    }
  }
}
