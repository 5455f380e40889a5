import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { teeHoldingBack } from './held-back.tee.js';

async function collect(stream: PassThrough): Promise<{ bytes: Buffer; error?: Error }> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return { bytes: Buffer.concat(chunks) };
  } catch (error) {
    return { bytes: Buffer.concat(chunks), error: error as Error };
  }
}

const chunks = ['aaaa', 'bbbb', 'cccc'].map((text) => Buffer.from(text));

describe('teeHoldingBack', () => {
  it('gives the store and the client every byte when the source ends cleanly', async () => {
    const source = new PassThrough();
    const store = new PassThrough();
    const client = new PassThrough();
    teeHoldingBack(source, store, client);

    for (const chunk of chunks) source.write(chunk);
    source.end();

    const [stored, served] = await Promise.all([collect(store), collect(client)]);
    expect(stored.bytes.toString()).toBe('aaaabbbbcccc');
    expect(served).toEqual({ bytes: Buffer.from('aaaabbbbcccc') });
  });

  it('never hands the client the last chunk of a source that fails, and fails both sides', async () => {
    const source = new PassThrough();
    const store = new PassThrough();
    const client = new PassThrough();
    teeHoldingBack(source, store, client);
    const results = Promise.all([collect(store), collect(client)]);

    for (const chunk of chunks) source.write(chunk);
    await new Promise((resolve) => setImmediate(resolve));
    source.destroy(new Error('digest mismatch'));

    const [stored, served] = await results;
    expect(stored.error?.message).toBe('digest mismatch');
    expect(served.error?.message).toBe('digest mismatch');
    expect(served.bytes.toString()).toBe('aaaabbbb');
  });

  it('serves a client alone (policy streamed) the same way: every byte, or short of the last chunk', async () => {
    const clean = new PassThrough();
    const client = new PassThrough();
    teeHoldingBack(clean, undefined, client);
    for (const chunk of chunks) clean.write(chunk);
    clean.end();
    expect(await collect(client)).toEqual({ bytes: Buffer.from('aaaabbbbcccc') });

    const failing = new PassThrough();
    const cut = new PassThrough();
    teeHoldingBack(failing, undefined, cut);
    const served = collect(cut);
    for (const chunk of chunks) failing.write(chunk);
    await new Promise((resolve) => setImmediate(resolve));
    failing.destroy(new Error('digest mismatch'));
    expect((await served).bytes.toString()).toBe('aaaabbbb');

    const abandoned = new PassThrough();
    const leaving = new PassThrough();
    teeHoldingBack(abandoned, undefined, leaving);
    leaving.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    expect(abandoned.destroyed).toBe(true);
  });

  it('keeps filling the store after the client hangs up', async () => {
    const source = new PassThrough();
    const store = new PassThrough();
    const client = new PassThrough({ highWaterMark: 1 });
    teeHoldingBack(source, store, client);
    const stored = collect(store);

    source.write(chunks[0]);
    source.write(chunks[1]);
    client.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    source.write(chunks[2]);
    source.end();

    expect((await stored).bytes.toString()).toBe('aaaabbbbcccc');
  });
});
