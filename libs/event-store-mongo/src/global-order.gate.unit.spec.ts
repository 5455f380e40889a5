import { describe, expect, it } from 'vitest';
import { GlobalOrderGate, type AbandonedPositions } from './global-order.gate.js';

/** Abandoned ranges kept in memory, as the adapter keeps them in a collection. */
class RecordedRanges implements AbandonedPositions {
  readonly ranges: { from: number; to: number }[] = [];

  async endOfAbandonedRange(position: number): Promise<number | undefined> {
    return this.ranges.find((range) => range.from <= position && position <= range.to)?.to;
  }

  async recordAbandoned(from: number, to: number): Promise<void> {
    this.ranges.push({ from, to });
  }
}

function setup(gapTimeoutMs = 5_000) {
  let now = 0;
  const abandoned = new RecordedRanges();
  const gate = new GlobalOrderGate({ gapTimeoutMs, abandoned, now: () => now });
  return {
    gate,
    abandoned,
    advance: (ms: number) => void (now += ms),
  };
}

const at = (...positions: number[]) => positions.map((globalPosition) => ({ globalPosition }));
const positionsOf = (events: readonly { globalPosition: number }[]) => events.map((e) => e.globalPosition);

describe('GlobalOrderGate', () => {
  it('admits an unbroken run of positions as it is', async () => {
    const { gate } = setup();

    expect(positionsOf(await gate.admit(3, at(4, 5, 6)))).toEqual([4, 5, 6]);
  });

  it('stops before a gap that may still fill, and admits everything once it has filled', async () => {
    const { gate, advance } = setup();

    expect(positionsOf(await gate.admit(0, at(1, 2, 5, 6)))).toEqual([1, 2]);
    advance(1_000);
    expect(positionsOf(await gate.admit(2, at(3, 4, 5, 6)))).toEqual([3, 4, 5, 6]);
  });

  it('waits at a gap right after the checkpoint', async () => {
    const { gate } = setup();

    expect(await gate.admit(0, at(3, 4))).toEqual([]);
  });

  it('passes a gap once it has stayed unfilled for the timeout, and records it as abandoned', async () => {
    const { gate, abandoned, advance } = setup(5_000);
    await gate.admit(0, at(1, 4));

    advance(4_999);
    expect(positionsOf(await gate.admit(1, at(4)))).toEqual([]);
    advance(1);
    expect(positionsOf(await gate.admit(1, at(4)))).toEqual([4]);
    expect(abandoned.ranges).toEqual([{ from: 2, to: 3 }]);
  });

  it('passes a recorded abandoned range at once', async () => {
    const { gate, abandoned } = setup();
    await abandoned.recordAbandoned(2, 3);

    expect(positionsOf(await gate.admit(0, at(1, 4, 5)))).toEqual([1, 4, 5]);
  });

  it('gives up only positions that were already reserved when the gap was first seen', async () => {
    const { gate, advance } = setup(5_000);
    // 2 is missing while 3 is visible; later 4..5 are reserved by a live writer and 6 becomes visible.
    await gate.admit(1, at(3));
    advance(5_000);

    expect(positionsOf(await gate.admit(1, at(3, 6)))).toEqual([3]);
    advance(4_000);
    expect(positionsOf(await gate.admit(3, at(6)))).toEqual([]);
    advance(1_000);
    expect(positionsOf(await gate.admit(3, at(6)))).toEqual([6]);
  });

  it('keeps timing a gap of which a part has filled meanwhile', async () => {
    const { gate, advance } = setup(5_000);
    await gate.admit(0, at(1, 5));
    advance(5_000);

    // 3 filled; 2 and 4 were pending since the first sight of the gap, so both are given up now.
    expect(positionsOf(await gate.admit(0, at(1, 3, 5)))).toEqual([1, 3, 5]);
  });
});
