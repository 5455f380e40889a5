/** Where readers learn which reserved global positions will never be filled. */
export interface AbandonedPositions {
  /** The end of a recorded abandoned range that contains `position`, if there is one. */
  endOfAbandonedRange(position: number): Promise<number | undefined>;
  /** Records `from..to` (inclusive) as never to be filled, so that every reader passes it at once. */
  recordAbandoned(from: number, to: number): Promise<void>;
}

export interface GlobalOrderGateOptions {
  /** How long an unfilled position may stay unfilled before readers give it up. */
  readonly gapTimeoutMs: number;
  readonly abandoned: AbandonedPositions;
  /** A monotonic clock in milliseconds; injectable for tests. */
  readonly now?: () => number;
}

/** Unfilled positions `from..to`, all of them already reserved when the gap was first seen at `since`. */
interface PendingGap {
  readonly from: number;
  readonly to: number;
  readonly since: number;
}

/**
 * Keeps readers of the global order from running past positions that may still be filled.
 *
 * Writers reserve global positions before inserting, so a higher position can become visible before a
 * lower one. A reader that skipped the lower one would never see it. The gate therefore admits events
 * only up to the first gap, and passes a gap only when it is known to be abandoned (recorded by the writer
 * that lost a race, or by a reader that timed it out before) or when it has stayed unfilled for
 * `gapTimeoutMs`: then its writer is taken to have crashed between reserving and inserting.
 *
 * Timing a gap from the moment a reader first saw it is safe because the event beyond the gap was visible
 * then, and positions are reserved in increasing order: every position in the gap had been reserved
 * already, so it has been pending at least that long.
 */
export class GlobalOrderGate {
  private pending: PendingGap[] = [];
  private readonly now: () => number;

  constructor(private readonly options: GlobalOrderGateOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * The events of `candidates` (read in global order after `after`) that a reader may take now: the
   * longest prefix with no gap that could still fill.
   */
  async admit<E extends { readonly globalPosition: number }>(
    after: number,
    candidates: readonly E[],
  ): Promise<E[]> {
    const admitted: E[] = [];
    let next = after + 1;
    for (const event of candidates) {
      while (next < event.globalPosition) {
        const passable = await this.passableUpTo(next, event.globalPosition - 1);
        if (passable === undefined) {
          this.forgetGapsBefore(next);
          return admitted;
        }
        next = passable + 1;
      }
      admitted.push(event);
      next = event.globalPosition + 1;
    }
    this.forgetGapsBefore(next);
    return admitted;
  }

  /** How far a reader may skip into the unfilled positions `from..to`, or undefined when it must wait. */
  private async passableUpTo(from: number, to: number): Promise<number | undefined> {
    const abandonedEnd = await this.options.abandoned.endOfAbandonedRange(from);
    if (abandonedEnd !== undefined) return Math.min(abandonedEnd, to);
    let gap = this.pending.find((pending) => pending.from <= from && from <= pending.to);
    if (!gap) {
      gap = { from, to, since: this.now() };
      this.pending.push(gap);
    }
    if (this.now() - gap.since < this.options.gapTimeoutMs) return undefined;
    // Only what was reserved when the gap was first seen has waited long enough.
    const end = Math.min(gap.to, to);
    await this.options.abandoned.recordAbandoned(from, end);
    return end;
  }

  /**
   * Keeps memory bounded. A gap behind this reader was filled or recorded as abandoned, so a slower reader
   * of the same store that meets it later passes it without waiting.
   */
  private forgetGapsBefore(position: number): void {
    this.pending = this.pending.filter((gap) => gap.to >= position);
  }
}
