/** Gives back a permit; calling it more than once has no further effect. */
export type Release = () => void;

/** A counting semaphore with a FIFO queue: at most `limit` holders at once, waiters served in order. */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
    }
  }

  get inUse(): number {
    return this.active;
  }

  async acquire(): Promise<Release> {
    if (this.active < this.limit) {
      this.active++;
    } else {
      // A releasing holder hands its slot straight to the next waiter, so no newcomer can jump the queue.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    };
  }
}
