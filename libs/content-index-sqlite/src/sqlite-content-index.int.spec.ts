import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { blobKey, type CatalogUnit } from '@wharf/contracts';
import type { VersionChunk } from '@wharf/ports';
import { contentIndexContract } from '@wharf/testing';
import { SqliteContentIndex } from './sqlite-content-index.adapter.js';

contentIndexContract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-content-index-'));
  const path = join(dir, 'content-index.db');
  const opened: SqliteContentIndex[] = [new SqliteContentIndex({ path })];
  return {
    index: opened[0]!,
    reopen: async () => {
      const index = new SqliteContentIndex({ path });
      opened.push(index);
      return index;
    },
    cleanup: async () => {
      await Promise.all(opened.map((index) => index.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('SqliteContentIndex while a version is being applied', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-content-index-'));
  const index = new SqliteContentIndex({ path: join(dir, 'content-index.db') });
  const [first, second, third] = ['a', 'b', 'c'].map((name) => blobKey(`sha256:${name.repeat(64)}`));

  afterEach(async () => {
    await index.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers reads from the last applied version and keeps other writes out of its transaction', async () => {
    await index.applyVersion('repository', 1, [{ added: [first], removed: [] }]);
    let failTheRead!: (error: Error) => void;
    const stalled = new Promise<never>((_, reject) => (failTheRead = reject));
    async function* chunksThatStall(): AsyncIterable<VersionChunk> {
      yield { added: [second], removed: [first] };
      await stalled;
    }

    const applying = index.applyVersion('repository', 2, chunksThatStall());
    await new Promise((resolve) => setTimeout(resolve, 20));
    const presentMeanwhile = await index.presentAmong('repository', 1, [first, second]);
    const recording = index.recordUnits([unit(third)]);
    failTheRead(new Error('event store went away'));

    await expect(applying).rejects.toThrow('event store went away');
    await recording;
    expect(presentMeanwhile).toEqual([first]);
    expect(await index.lastAppliedVersion('repository')).toBe(1);
    expect((await index.getUnits([third])).map((u) => u.key)).toEqual([third]);
  });
});

function unit(key: string): CatalogUnit {
  return {
    key,
    type: 'blob',
    digest: key.slice('blob:'.length),
    references: [],
    createdAt: new Date(0).toISOString(),
  };
}
