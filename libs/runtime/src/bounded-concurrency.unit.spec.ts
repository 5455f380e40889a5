import { describe, expect, it } from 'vitest';
import { forEachConcurrently } from './bounded-concurrency.js';

const tick = () => new Promise((resolve) => setTimeout(resolve, 2));

describe('forEachConcurrently', () => {
  it('runs every item, never more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachConcurrently([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      running++;
      peak = Math.max(peak, running);
      await tick();
      seen.push(item);
      running--;
    });
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(peak).toBe(3);
  });

  it('starts nothing after a failure, waits for the running items and throws the failure', async () => {
    const started: number[] = [];
    let running = 0;
    const outcome = forEachConcurrently([1, 2, 3, 4, 5, 6], 2, async (item) => {
      started.push(item);
      running++;
      await tick();
      running--;
      if (item === 1) throw new Error('item 1 broke');
    });
    await expect(outcome).rejects.toThrow('item 1 broke');
    expect(running).toBe(0);
    expect(started.length).toBeLessThan(6);
  });
});
