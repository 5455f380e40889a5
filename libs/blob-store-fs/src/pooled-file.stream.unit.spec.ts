import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChunkPool, PooledFileStream, READ_CHUNK_BYTES } from './pooled-file.stream.js';

describe('ChunkPool', () => {
  it('lends a returned chunk again, also when only its leading part came back', () => {
    const pool = new ChunkPool(4);
    const first = pool.take();
    pool.giveBack(first.subarray(0, 10));
    expect(pool.take().buffer).toBe(first.buffer);
  });

  it('ignores buffers it did not lend and a chunk given back twice', () => {
    const pool = new ChunkPool(4);
    pool.giveBack(Buffer.allocUnsafeSlow(READ_CHUNK_BYTES));
    const lent = pool.take();
    pool.giveBack(lent);
    pool.giveBack(lent);
    const [a, b] = [pool.take(), pool.take()];
    expect(a.buffer).toBe(lent.buffer);
    expect(b.buffer).not.toBe(lent.buffer);
  });

  it('keeps at most maxIdle chunks', () => {
    const pool = new ChunkPool(1);
    const [a, b] = [pool.take(), pool.take()];
    pool.giveBack(a);
    pool.giveBack(b);
    expect(pool.take().buffer).toBe(a.buffer);
    const fresh = pool.take();
    expect([a.buffer, b.buffer]).not.toContain(fresh.buffer);
  });
});

describe('PooledFileStream', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-pooled-'));
  const bytes = randomBytes(2 * READ_CHUNK_BYTES + 12345);
  const path = join(dir, 'blob');
  writeFileSync(path, bytes);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const read = async (stream: PooledFileStream, pool: ChunkPool, giveBack: boolean) => {
    const copies: Buffer[] = [];
    for await (const chunk of stream) {
      copies.push(Buffer.from(chunk as Buffer));
      if (giveBack) pool.giveBack(chunk as Buffer);
    }
    return Buffer.concat(copies);
  };

  it('streams the whole file and a range of it, whether chunks come back or not', async () => {
    for (const giveBack of [true, false]) {
      const pool = new ChunkPool(4);
      // equals, not toEqual: comparing megabytes element by element takes the matcher many seconds.
      const whole = await read(new PooledFileStream(await open(path), pool), pool, giveBack);
      expect(whole.equals(bytes)).toBe(true);
      const start = READ_CHUNK_BYTES - 5;
      const end = 2 * READ_CHUNK_BYTES + 100;
      const range = await read(new PooledFileStream(await open(path), pool, start, end), pool, giveBack);
      expect(range.equals(bytes.subarray(start, end + 1))).toBe(true);
    }
  });

  it('closes the file when the reader stops early', async () => {
    const file = await open(path);
    const stream = new PooledFileStream(file, new ChunkPool(4));
    const closed = new Promise((resolve) => stream.once('close', resolve));
    for await (const _ of stream) break;
    await closed;
    await expect(file.stat()).rejects.toThrow(/closed|EBADF/);
  });
});
