import { describe, expect, it } from 'vitest';
import { ConcurrencyLimiter } from './concurrency.limiter.js';

describe('ConcurrencyLimiter', () => {
  it('admits up to the limit and serves waiters in arrival order', async () => {
    const limiter = new ConcurrencyLimiter(2);
    const first = await limiter.acquire();
    const second = await limiter.acquire();
    const order: string[] = [];
    const third = limiter.acquire().then((release) => (order.push('third'), release));
    const fourth = limiter.acquire().then((release) => (order.push('fourth'), release));
    await Promise.resolve();
    expect(order).toEqual([]);
    expect(limiter.inUse).toBe(2);
    first();
    (await third)();
    second();
    (await fourth)();
    expect(order).toEqual(['third', 'fourth']);
    expect(limiter.inUse).toBe(0);
  });

  it('ignores a second release of the same permit', async () => {
    const limiter = new ConcurrencyLimiter(1);
    const release = await limiter.acquire();
    release();
    release();
    expect(limiter.inUse).toBe(0);
    await limiter.acquire();
    expect(limiter.inUse).toBe(1);
  });

  it('refuses a limit that is not a positive integer', () => {
    expect(() => new ConcurrencyLimiter(0)).toThrow(/positive integer, got 0/);
  });
});
