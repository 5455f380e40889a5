import { setTimeout as sleep } from 'node:timers/promises';

export interface TokenBucketClock {
  now(): number;
  sleep(ms: number): Promise<unknown>;
}

const systemClock: TokenBucketClock = { now: () => performance.now(), sleep: (ms) => sleep(ms) };

/**
 * Token bucket: `ratePerSecond` tokens a second, holding at most one second's worth, so after idling a
 * client may send that many at once and otherwise keeps to the rate. Each `take` reserves a token, possibly
 * in the future (the balance goes negative), which keeps concurrent callers in arrival order.
 */
export class TokenBucket {
  private readonly capacity: number;
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly clock: TokenBucketClock = systemClock,
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError(`rate limit must be positive, got ${ratePerSecond}`);
    this.capacity = Math.max(1, ratePerSecond);
    this.tokens = this.capacity;
    this.updatedAt = clock.now();
  }

  async take(): Promise<void> {
    const now = this.clock.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.updatedAt) / 1000) * this.ratePerSecond);
    this.updatedAt = now;
    this.tokens -= 1;
    if (this.tokens < 0) await this.clock.sleep((-this.tokens / this.ratePerSecond) * 1000);
  }
}
