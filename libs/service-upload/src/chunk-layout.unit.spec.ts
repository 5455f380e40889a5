import { describe, expect, it } from 'vitest';
import { ValidationError } from '@wharf/contracts';
import { MAX_PARTS, missingBytes, partSizeFor, placeChunk, type PlacedChunk } from './chunk-layout.js';

const MiB = 1024 * 1024;
const S3_MIN_PART = 5 * MiB;

function upload(size: number, chunks: PlacedChunk[] = [], partSize = partSizeFor(size, S3_MIN_PART)) {
  return { size, partSize, chunks };
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).details['Content-Range']!.join(' ');
  }
  throw new Error('the chunk was accepted');
}

describe('chunk layout', () => {
  it('uses the blob store minimum part size, raised so the upload fits in 10,000 parts', () => {
    expect(partSizeFor(12 * MiB, S3_MIN_PART)).toBe(S3_MIN_PART);
    expect(partSizeFor(100 * 1024 * MiB, S3_MIN_PART)).toBe(Math.ceil((100 * 1024 * MiB) / MAX_PARTS));
    expect(partSizeFor(10, 1)).toBe(1);
  });

  it('numbers parts by offset, so chunks sent in any order join in file order', () => {
    const size = 12 * MiB;
    const last = placeChunk('u', upload(size), { start: 10 * MiB, end: size - 1 }, size);
    const first = placeChunk('u', upload(size, [last]), { start: 0, end: 5 * MiB - 1 }, size);
    const middle = placeChunk('u', upload(size, [last, first]), { start: 5 * MiB, end: 10 * MiB - 1 }, size);
    expect([first.partNumber, middle.partNumber, last.partNumber]).toEqual([1, 2, 3]);
  });

  it('refuses a chunk smaller than the part size unless it ends the file, naming the upload', () => {
    const size = 12 * MiB;
    expect(refusal(() => placeChunk('u1', upload(size), { start: 0, end: 99 }, size))).toMatch(
      /^upload u1: chunk 0-99 has 100 bytes; every chunk but the last needs at least 5242880/,
    );
    expect(placeChunk('u1', upload(size), { start: size - 100, end: size - 1 }, size).partNumber).toBe(3);
  });

  it('refuses a total that is not the upload size, bytes past the end and overlapping chunks', () => {
    expect(refusal(() => placeChunk('u', upload(100), { start: 0, end: 99 }, 200))).toMatch(
      /total 200 is not the upload's size 100/,
    );
    expect(refusal(() => placeChunk('u', upload(100), { start: 50, end: 100 }, 100))).toMatch(
      /bytes 50-100 do not lie within its 100 bytes/,
    );
    const received = [{ start: 0, end: 59, partNumber: 1 }];
    const small = upload(100, received, 10);
    expect(refusal(() => placeChunk('u', small, { start: 50, end: 99 }, 100))).toMatch(
      /chunk 50-99 overlaps the chunk 0-59/,
    );
    expect(placeChunk('u', small, { start: 0, end: 59 }, 100).partNumber).toBe(1);
  });

  it('finds the first gap in the received chunks', () => {
    expect(missingBytes(100, [])).toEqual({ start: 0, end: 99 });
    expect(missingBytes(100, [{ start: 50, end: 99 }])).toEqual({ start: 0, end: 49 });
    expect(missingBytes(100, [{ start: 0, end: 49 }])).toEqual({ start: 50, end: 99 });
    expect(
      missingBytes(100, [
        { start: 40, end: 99 },
        { start: 0, end: 39 },
      ]),
    ).toBeUndefined();
  });
});
