import { describe, expect, it } from 'vitest';
import { ByteSlices } from './byte-slices.js';

async function collect(slice: AsyncIterable<Uint8Array>): Promise<string> {
  let text = '';
  for await (const chunk of slice) text += Buffer.from(chunk).toString();
  return text;
}

async function* chunks(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
}

describe('byte slices', () => {
  it('cut a stream into slices of the size asked, across and within chunks', async () => {
    const slices = new ByteSlices(chunks('abc', 'defgh', '', 'ij'));
    const taken: string[] = [];
    while (await slices.hasMore()) taken.push(await collect(slices.next(4)));
    expect(taken).toEqual(['abcd', 'efgh', 'ij']);
    expect(slices.consumed).toBe(10);
  });

  it('see no slice in an empty stream', async () => {
    const slices = new ByteSlices(chunks('', ''));
    expect(await slices.hasMore()).toBe(false);
    expect(slices.consumed).toBe(0);
  });
});
