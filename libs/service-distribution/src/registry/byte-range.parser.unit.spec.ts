import { describe, expect, it } from 'vitest';
import { parseByteRange } from './byte-range.parser.js';

describe('Range headers', () => {
  it('reads the forms a resuming client sends', () => {
    expect(parseByteRange('bytes=0-9', 100)).toEqual({ start: 0, end: 9 });
    expect(parseByteRange('bytes=90-', 100)).toEqual({ start: 90, end: 99 });
    expect(parseByteRange('bytes=-10', 100)).toEqual({ start: 90, end: 99 });
    expect(parseByteRange('bytes=50-500', 100)).toEqual({ start: 50, end: 99 });
    expect(parseByteRange('bytes=-500', 100)).toEqual({ start: 0, end: 99 });
  });

  it('means the whole object without a header or with a unit other than bytes', () => {
    expect(parseByteRange(undefined, 100)).toBeUndefined();
    expect(parseByteRange('items=0-1', 100)).toBeUndefined();
  });

  it.each(['bytes=100-', 'bytes=5-2', 'bytes=-0', 'bytes=a-b', 'bytes=0-1,5-6', 'bytes=-'])(
    'refuses %s with RANGE_INVALID naming the size',
    (header) => {
      expect(() => parseByteRange(header, 100)).toThrow(
        expect.objectContaining({
          code: 'RANGE_INVALID',
          status: 416,
          headers: { 'Content-Range': 'bytes */100' },
        }),
      );
    },
  );
});
