import { describe, expect, it } from 'vitest';
import type { CatalogUnit } from '@wharf/contracts';
import { VersionUnitsCache } from './version-units.cache.js';

const unit = (digest: string) => ({ digest }) as unknown as CatalogUnit;

describe('VersionUnitsCache', () => {
  it('answers a found unit again without looking, until its entry expires', async () => {
    let now = 0;
    let looks = 0;
    const cache = new VersionUnitsCache(10, 1_000, () => now);
    const look = async () => (looks++, unit('sha256:a'));
    expect(await cache.find('r/1/tag/v1', look)).toEqual(unit('sha256:a'));
    expect(await cache.find('r/1/tag/v1', look)).toEqual(unit('sha256:a'));
    expect(looks).toBe(1);
    now = 1_000;
    await cache.find('r/1/tag/v1', look);
    expect(looks).toBe(2);
  });

  it('never keeps a miss: content that appears is found at the next lookup', async () => {
    const cache = new VersionUnitsCache();
    let present: CatalogUnit | undefined = undefined;
    const look = async () => present;
    expect(await cache.find('r/2/manifest/sha256:b', look)).toBeUndefined();
    present = unit('sha256:b');
    expect(await cache.find('r/2/manifest/sha256:b', look)).toEqual(present);
  });

  it('drops the least recently used entry past its bound', async () => {
    let looks = 0;
    const cache = new VersionUnitsCache(2);
    const look = (digest: string) => async () => (looks++, unit(digest));
    await cache.find('a', look('a'));
    await cache.find('b', look('b'));
    await cache.find('a', look('a')); // a is now the most recent
    await cache.find('c', look('c')); // drops b
    expect(looks).toBe(3);
    await cache.find('a', look('a'));
    expect(looks).toBe(3);
    await cache.find('b', look('b'));
    expect(looks).toBe(4);
  });
});
