import { describe, expect, it } from 'vitest';
import { TokenBucket } from './rate.limiter.js';

/** A clock that only moves when something sleeps on it. */
function fakeClock() {
  let time = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    advance: (ms: number) => (time += ms),
    clock: {
      now: () => time,
      sleep: async (ms: number) => {
        sleeps.push(Math.round(ms));
      },
    },
  };
}

describe('TokenBucket', () => {
  it('lets a burst of one second through, then spaces requests by 1/rate', async () => {
    const { clock, sleeps } = fakeClock();
    const bucket = new TokenBucket(4, clock);
    for (let i = 0; i < 7; i++) await bucket.take();
    // The sleeps are reservations: the 5th waits 250 ms, the 6th 500 ms, the 7th 750 ms.
    expect(sleeps).toEqual([250, 500, 750]);
  });

  it('refills with time, never beyond one second of requests', async () => {
    const { clock, sleeps, advance } = fakeClock();
    const bucket = new TokenBucket(2, clock);
    await bucket.take();
    await bucket.take();
    advance(10_000);
    for (let i = 0; i < 3; i++) await bucket.take();
    expect(sleeps).toEqual([500]);
  });

  it('handles rates below one request per second', async () => {
    const { clock, sleeps } = fakeClock();
    const bucket = new TokenBucket(0.5, clock);
    await bucket.take();
    await bucket.take();
    expect(sleeps).toEqual([2_000]);
    expect(() => new TokenBucket(0, clock)).toThrow(/positive/);
  });
});
