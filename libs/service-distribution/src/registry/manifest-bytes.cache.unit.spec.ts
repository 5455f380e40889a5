import { describe, expect, it } from 'vitest';
import { MAX_CACHED_MANIFEST_BYTES, ManifestBytesCache } from './manifest-bytes.cache.js';

describe('ManifestBytesCache', () => {
  it('gives back what it kept, and nothing for a digest it never saw', () => {
    const cache = new ManifestBytesCache();
    cache.set('sha256:a', Buffer.from('{"a":1}'));

    expect(cache.get('sha256:a')?.toString()).toBe('{"a":1}');
    expect(cache.get('sha256:b')).toBeUndefined();
  });

  it('drops the least recently served manifests once it holds more than its bound', () => {
    const cache = new ManifestBytesCache(30);
    cache.set('sha256:a', Buffer.alloc(10));
    cache.set('sha256:b', Buffer.alloc(10));
    cache.set('sha256:c', Buffer.alloc(10));
    cache.get('sha256:a');

    cache.set('sha256:d', Buffer.alloc(10));

    expect(cache.get('sha256:b')).toBeUndefined();
    expect(cache.get('sha256:a')).toBeDefined();
    expect(cache.get('sha256:c')).toBeDefined();
    expect(cache.get('sha256:d')).toBeDefined();
  });

  it('never keeps a manifest larger than the per-manifest limit', () => {
    const cache = new ManifestBytesCache();

    cache.set('sha256:big', Buffer.alloc(MAX_CACHED_MANIFEST_BYTES + 1));

    expect(cache.get('sha256:big')).toBeUndefined();
  });
});
