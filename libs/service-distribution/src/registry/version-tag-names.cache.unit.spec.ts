import { describe, expect, it } from 'vitest';
import { VersionTagNamesCache } from './version-tag-names.cache.js';

describe('VersionTagNamesCache', () => {
  const counting = (names: string[]) => {
    const loader = { loads: 0, load: async () => (loader.loads++, [...names]) };
    return loader;
  };

  it('pages names in code-unit order, whatever order they were read in', async () => {
    const cache = new VersionTagNamesCache();
    const version = counting(['a', '10', '1-rc', 'A', '1', '1.0', 'v1_x']);
    expect(await cache.page('r/1', version.load, 3)).toEqual({ items: ['1', '1-rc', '1.0'], last: '1.0' });
    expect(await cache.page('r/1', version.load, 3, '1.0')).toEqual({ items: ['10', 'A', 'a'], last: 'a' });
    expect(await cache.page('r/1', version.load, 3, 'a')).toEqual({ items: ['v1_x'] });
    // `last` need not be a listed name.
    expect(await cache.page('r/1', version.load, 10, '1.')).toEqual({
      items: ['1.0', '10', 'A', 'a', 'v1_x'],
    });
    expect(await cache.page('r/1', version.load, 10, 'z')).toEqual({ items: [] });
    expect(version.loads).toBe(1);
  });

  it('reads a version once even when its pages are asked for at the same time', async () => {
    const cache = new VersionTagNamesCache();
    const version = counting(['b', 'a']);
    await Promise.all([cache.page('r/1', version.load, 1), cache.page('r/1', version.load, 1, 'a')]);
    expect(version.loads).toBe(1);
  });

  it('drops the least recently listed versions once it holds more names than allowed', async () => {
    const cache = new VersionTagNamesCache(4);
    const one = counting(['a', 'b']);
    const two = counting(['c', 'd']);
    const three = counting(['e', 'f']);
    await cache.page('r/1', one.load, 1);
    await cache.page('r/2', two.load, 1);
    await cache.page('r/1', one.load, 1);
    await cache.page('r/3', three.load, 1);
    await cache.page('r/1', one.load, 1);
    await cache.page('r/2', two.load, 1);
    expect([one.loads, two.loads, three.loads]).toEqual([1, 2, 1]);
  });

  it('reads again after a failed read', async () => {
    const cache = new VersionTagNamesCache();
    let fail = true;
    const load = async () => {
      if (fail) throw new Error('bus down');
      return ['a'];
    };
    await expect(cache.page('r/1', load, 1)).rejects.toThrow('bus down');
    fail = false;
    expect(await cache.page('r/1', load, 1)).toEqual({ items: ['a'] });
  });
});
