import { describe, expect, it } from 'vitest';
import { parseRegistryPath } from './registry-route.parser.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

describe('registry paths', () => {
  it('finds the endpoint after a name that holds slashes, even one that looks like an endpoint', () => {
    expect(parseRegistryPath(`/v2/team/app/manifests/v1`)).toEqual({
      kind: 'manifest',
      name: 'team/app',
      reference: { kind: 'tag', tag: 'v1' },
    });
    expect(parseRegistryPath(`/v2/a/blobs/b/blobs/${DIGEST}`)).toEqual({
      kind: 'blob',
      name: 'a/blobs/b',
      digest: DIGEST,
    });
    expect(parseRegistryPath('/v2/x/y/z/tags/list')).toEqual({ kind: 'tags', name: 'x/y/z' });
    expect(parseRegistryPath(`/v2/app/referrers/${DIGEST}`)).toEqual({
      kind: 'referrers',
      name: 'app',
      digest: DIGEST,
    });
  });

  it('knows the base, catalog and token endpoints and nothing else', () => {
    expect(parseRegistryPath('/v2/')).toEqual({ kind: 'base' });
    expect(parseRegistryPath('/v2/_catalog')).toEqual({ kind: 'catalog' });
    expect(parseRegistryPath('/token')).toEqual({ kind: 'token' });
    expect(parseRegistryPath('/v2/app/uploads/x')).toBeUndefined();
    expect(parseRegistryPath('/v1/app/manifests/v1')).toBeUndefined();
  });

  it('knows the upload endpoints, and refuses an upload id the blob store could not have made', () => {
    expect(parseRegistryPath('/v2/team/app/blobs/uploads/')).toEqual({ kind: 'uploads', name: 'team/app' });
    expect(parseRegistryPath('/v2/team/app/blobs/uploads')).toEqual({ kind: 'uploads', name: 'team/app' });
    expect(parseRegistryPath('/v2/a/blobs/uploads/0f8e-41')).toEqual({
      kind: 'upload',
      name: 'a',
      uploadId: '0f8e-41',
    });
    expect(() => parseRegistryPath('/v2/a/blobs/uploads/%2e%2e')).toThrow(
      expect.objectContaining({ code: 'BLOB_UPLOAD_UNKNOWN', status: 404 }),
    );
  });

  it('reads a manifest reference with an escaped colon as a digest', () => {
    expect(parseRegistryPath(`/v2/app/manifests/${DIGEST.replace(':', '%3A')}`)).toMatchObject({
      reference: { kind: 'digest', digest: DIGEST },
    });
  });

  it.each([
    ['an invalid name', '/v2/Team/App/tags/list', 'NAME_INVALID', 400],
    ['a malformed digest', '/v2/app/blobs/sha256:abc', 'DIGEST_INVALID', 400],
    ['an unsupported algorithm', `/v2/app/manifests/md5:${'a'.repeat(32)}`, 'DIGEST_INVALID', 400],
    ['an invalid tag', '/v2/app/manifests/-bad', 'MANIFEST_UNKNOWN', 404],
  ])('refuses %s', (_, path, code, status) => {
    expect(() => parseRegistryPath(path)).toThrow(expect.objectContaining({ code, status }));
  });
});
