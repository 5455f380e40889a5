import { describe, expect, it } from 'vitest';
import { MediaType } from '@wharf/oci';
import { mayServeManifest } from './manifest-accept.policy.js';

describe('which stored manifests a client is served, by its Accept header', () => {
  it('serves an OCI manifest by tag only to clients that list OCI manifests (or anything)', () => {
    expect(mayServeManifest(MediaType.OciManifest, MediaType.DockerManifestSchema2, false)).toBe(false);
    expect(mayServeManifest(MediaType.OciManifest, undefined, false)).toBe(false);
    expect(
      mayServeManifest(
        MediaType.OciManifest,
        `${MediaType.DockerManifestSchema2}, ${MediaType.OciManifest};q=0.5`,
        false,
      ),
    ).toBe(true);
    expect(mayServeManifest(MediaType.OciIndex, '*/*', false)).toBe(true);
    expect(mayServeManifest(MediaType.OciIndex, MediaType.OciManifest, false)).toBe(false);
  });

  it('serves whatever is stored when the client names it by digest', () => {
    expect(mayServeManifest(MediaType.OciIndex, undefined, true)).toBe(true);
  });

  it('serves Docker manifests and lists whatever the header lists', () => {
    expect(mayServeManifest(MediaType.DockerManifestSchema2, undefined, false)).toBe(true);
    expect(mayServeManifest(MediaType.DockerManifestList, MediaType.DockerManifestSchema2, false)).toBe(true);
  });
});
