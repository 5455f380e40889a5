import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsBlobStore } from '@wharf/blob-store-fs';
import { MAX_MANIFEST_BYTES, parseManifest } from '@wharf/oci';
import {
  dockerArchiveEntries,
  fixtureManifest,
  imageIndex,
  multiPlatformImage,
  ociLayoutEntries,
  randomImage,
  tarArchive,
  withClaimedSize,
  type ArchiveEntry,
} from '@wharf/testing';
import { DOCKER_UNCOMPRESSED_LAYER } from './docker-archive.reader.js';
import type { ImportPlan } from './import-plan.model.js';
import { planTarball } from './tarball.planner.js';
import { TarballInvalidError } from './tarball.errors.js';

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describe('reading docker-archive and oci-archive tarballs into an import plan', () => {
  let root: string;
  let blobs: FsBlobStore;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'wharf-tarball-'));
    blobs = new FsBlobStore({ root });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const plan = (tar: Buffer): Promise<ImportPlan> => planTarball(Readable.from([tar]), tar.byteLength, blobs);
  const planOf = async (entries: readonly ArchiveEntry[]) => plan(await tarArchive(entries));
  const refusal = async (tar: Buffer): Promise<TarballInvalidError> => {
    const error = await plan(tar).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, 'the archive was accepted').toBeInstanceOf(TarballInvalidError);
    return error as TarballInvalidError;
  };
  const refusalOf = async (entries: readonly ArchiveEntry[]) => refusal(await tarArchive(entries));

  describe('docker-archive', () => {
    it('makes a schema 2 manifest of the archived config and layers, byte for byte reproducible', async () => {
      const image = randomImage({ format: 'docker' });
      const result = await planOf(dockerArchiveEntries([{ image, repoTags: ['example.com/app:1.0'] }]));

      expect(result.manifests).toHaveLength(1);
      const [manifest] = result.manifests;
      const expected =
        `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",` +
        `"config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":${image.config.size},"digest":"${image.config.digest}"},` +
        `"layers":[${image.layers.map((l) => `{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":${l.size},"digest":"${l.digest}"}`).join(',')}]}`;
      expect(manifest!.bytes.toString('utf8')).toBe(expected);
      expect(manifest!.digest).toBe(sha256(Buffer.from(expected)));
      expect(Object.fromEntries(result.tags)).toEqual({ '1.0': manifest!.digest });
      expect([...result.blobs.keys()].sort()).toEqual(
        [image.config.digest, ...image.layers.map((l) => l.digest)].sort(),
      );
      for (const digest of result.blobs.keys()) expect(await blobs.stat(digest)).toBeDefined();

      const again = await planOf(dockerArchiveEntries([{ image, repoTags: ['other:1.0'] }]));
      expect(again.manifests[0]!.digest).toBe(manifest!.digest);
    });

    it('keeps uncompressed layers as they are and names their type by their bytes', async () => {
      const image = randomImage({ format: 'docker', layers: 1 });
      const tar = gunzipSync(image.layers[0]!.bytes);
      const result = await planOf(dockerArchiveEntries([{ image, repoTags: ['app:raw'], layers: [tar] }]));
      const parsed = parseManifest(result.manifests[0]!.bytes);
      expect(parsed.blobs.map((b) => [b.digest, b.mediaType])).toContainEqual([
        sha256(tar),
        DOCKER_UNCOMPRESSED_LAYER,
      ]);
    });

    it('follows symbolic links to files inside the archive, as skopeo writes for the legacy layout', async () => {
      const image = randomImage({ format: 'docker', layers: 1 });
      const entries = dockerArchiveEntries([{ image, repoTags: ['app:1'] }]);
      const layer = entries.find((e) => e.name.endsWith('layer.tar'))!;
      const linked = entries.map((e) =>
        e.name === 'manifest.json'
          ? replace([e], 'manifest.json', e.bytes!.toString().replace(layer.name, 'legacy/layer.tar'))[0]!
          : e,
      );
      const result = await planOf([
        ...linked,
        { name: 'legacy/layer.tar', type: 'symlink', linkname: `../${layer.name}` },
      ]);
      expect(result.blobs.has(image.layers[0]!.digest)).toBe(true);
    });

    it('imports many images with several tags each (docker save style), and untagged ones', async () => {
      const [a, b, c] = [1, 2, 3].map(() => randomImage({ format: 'docker' }));
      const result = await planOf(
        dockerArchiveEntries([
          { image: a!, repoTags: ['app:1', 'app:latest'] },
          { image: b!, repoTags: ['registry.example:5000/team/app:2'] },
          { image: c!, repoTags: [] },
        ]),
      );
      const [da, db, dc] = result.manifests.map((m) => m.digest);
      expect(Object.fromEntries(result.tags)).toEqual({ '1': da, latest: da, '2': db });
      expect([...result.untagged]).toEqual([dc]);
    });

    it.each([
      [
        'a layer manifest.json names is missing',
        (entries: ArchiveEntry[]) => entries.filter((e) => !e.name.endsWith('layer.tar')),
        /Layers\[0\] names .* which the archive does not hold/,
      ],
      [
        'manifest.json is not JSON',
        (entries: ArchiveEntry[]) => replace(entries, 'manifest.json', '[{"Config":'),
        /manifest.json.*not UTF-8 JSON/,
      ],
      [
        'manifest.json is not a list of images',
        (entries: ArchiveEntry[]) => replace(entries, 'manifest.json', '{"Config":"x"}'),
        /manifest.json.*non-empty JSON array/,
      ],
      [
        'the config is not a JSON object',
        (entries: ArchiveEntry[]) =>
          entries.map((e) =>
            e.name.endsWith('.json') && e.name !== 'manifest.json' ? { ...e, bytes: Buffer.from('[1]') } : e,
          ),
        /image config: not a JSON object/,
      ],
      [
        'a RepoTags entry has no tag',
        (entries: ArchiveEntry[]) => retag(entries, ['app']),
        /RepoTags entry "app" has no tag/,
      ],
      [
        'a tag is not a valid tag',
        (entries: ArchiveEntry[]) => retag(entries, ['app:-bad']),
        /"-bad" is not a valid tag/,
      ],
    ])('refuses an archive where %s', async (_case, mutate, message) => {
      const image = randomImage({ format: 'docker', layers: 1 });
      const error = await refusalOf(mutate(dockerArchiveEntries([{ image, repoTags: ['app:1'] }])));
      expect(error.message).toMatch(message);
    });

    it('refuses one tag given to two images', async () => {
      const [a, b] = [randomImage({ format: 'docker' }), randomImage({ format: 'docker' })];
      const error = await refusalOf(
        dockerArchiveEntries([
          { image: a, repoTags: ['app:1'] },
          { image: b, repoTags: ['app:1'] },
        ]),
      );
      expect(error.message).toMatch(/tag "1" is given to sha256:\w+ and sha256:\w+/);
    });
  });

  describe('oci-archive', () => {
    it('keeps every manifest byte for byte, children before the index, tags from ref names', async () => {
      const multi = multiPlatformImage([
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
      ]);
      const nested = imageIndex([multi, randomImage()]);
      const single = randomImage();
      const result = await planOf(
        ociLayoutEntries([
          { manifest: nested, refName: 'multi' },
          { manifest: single, refName: 'quay.example/team/app:single' },
          { manifest: randomImage() },
        ]),
      );
      const order = result.manifests.map((m) => m.digest);
      expect(order.indexOf(multi.digest)).toBeLessThan(order.indexOf(nested.digest));
      for (const child of multi.manifests)
        expect(order.indexOf(child.digest)).toBeLessThan(order.indexOf(multi.digest));
      expect(
        result.manifests.find((m) => m.digest === nested.digest)!.bytes.equals(Buffer.from(nested.bytes)),
      ).toBe(true);
      expect(Object.fromEntries(result.tags)).toEqual({ multi: nested.digest, single: single.digest });
      expect(result.untagged.size).toBe(1);
    });

    it('refuses a blob whose bytes do not match the digest its name claims', async () => {
      const image = randomImage();
      const entries = ociLayoutEntries([{ manifest: image, refName: 'x' }]).map((e) =>
        e.name.endsWith(image.layers[0]!.digest.slice(7)) ? { ...e, bytes: randomBytes(100) } : e,
      );
      const error = await refusalOf(entries);
      expect(error.entry).toBe(`blobs/sha256/${image.layers[0]!.digest.slice(7)}`);
      expect(error.message).toMatch(/content has digest sha256:\w+, not the one its name claims/);
    });

    it('refuses a manifest that references a blob the archive does not hold', async () => {
      const image = randomImage();
      const entries = ociLayoutEntries([{ manifest: image, refName: 'x' }]).filter(
        (e) => !e.name.endsWith(image.config.digest.slice(7)),
      );
      const error = await refusalOf(entries);
      expect(error.message).toContain(
        `manifest ${image.digest} references ${image.config.digest}, which the archive does not hold`,
      );
    });

    it('refuses a manifest over 4 MiB', async () => {
      const image = randomImage({ annotations: { padding: 'x'.repeat(MAX_MANIFEST_BYTES) } });
      const error = await refusalOf(ociLayoutEntries([{ manifest: image, refName: 'big' }]));
      expect(error.entry).toBe(`blobs/sha256/${image.digest.slice(7)}`);
      expect(error.message).toMatch(/over the 4194304-byte limit/);
    });

    it('refuses JSON that is not a manifest, naming the entry', async () => {
      const notManifest = fixtureManifest({ hello: 'world' });
      const error = await refusalOf(ociLayoutEntries([{ manifest: notManifest, refName: 'x' }]));
      expect(error.entry).toBe(`blobs/sha256/${notManifest.digest.slice(7)}`);
      expect(error.message).toMatch(/is not a valid manifest/);
    });

    it('refuses an index.json that lists no manifests array', async () => {
      const error = await refusalOf([{ name: 'index.json', bytes: Buffer.from('{"schemaVersion":2}') }]);
      expect(error.message).toMatch(/index.json.*no manifests array/);
    });
  });

  describe('entries a well-formed archive never has', () => {
    const base = () => ociLayoutEntries([{ manifest: randomImage(), refName: 'x' }]);

    it.each<[string, ArchiveEntry, RegExp]>([
      [
        'a path with ..',
        { name: 'blobs/../../etc/passwd', bytes: Buffer.from('x') },
        /"blobs\/..\/..\/etc\/passwd": paths with '..'/,
      ],
      [
        'an absolute path',
        { name: '/etc/passwd', bytes: Buffer.from('x') },
        /"\/etc\/passwd": absolute paths/,
      ],
      [
        'an absolute symbolic link',
        { name: 'evil', type: 'symlink', linkname: '/etc/passwd' },
        /"evil": is a symbolic link to "\/etc\/passwd", outside the archive/,
      ],
      [
        'a symbolic link out of the archive',
        { name: 'a/evil', type: 'symlink', linkname: '../../x' },
        /"a\/evil": is a symbolic link to "..\/..\/x", outside the archive/,
      ],
      [
        'a symbolic link to nothing',
        { name: 'a/dangling', type: 'symlink', linkname: '../nothing' },
        /"a\/dangling": is a symbolic link to "nothing", which is not a regular file/,
      ],
      ['a hard link', { name: 'evil', type: 'link', linkname: 'index.json' }, /"evil": is a hard link/],
      ['a character device', { name: 'tty', type: 'character-device' }, /"tty": is a character-device entry/],
      ['a block device', { name: 'sda', type: 'block-device' }, /"sda": is a block-device entry/],
      ['a fifo', { name: 'pipe', type: 'fifo' }, /"pipe": is a fifo entry/],
    ])('refuses %s, naming it', async (_case, bad, message) => {
      const entries = base();
      const error = await refusalOf([...entries.slice(0, 1), bad, ...entries.slice(1)]);
      expect(error.message).toMatch(message);
    });

    it('refuses an entry whose header claims more bytes than the archive has', async () => {
      const tar = await tarArchive(base());
      const error = await refusal(withClaimedSize(tar, 0, 2 ** 40));
      expect(error.message).toMatch(
        /"oci-layout": its header claims 1099511627776 bytes, more than the \d+-byte archive/,
      );
    });

    it('refuses a truncated archive, a file that is not a tar, and a tar of neither format', async () => {
      const tar = await tarArchive(base());
      expect((await refusal(tar.subarray(0, 700))).message).toMatch(/not a readable tar archive/);
      expect((await refusal(randomBytes(4096))).message).toMatch(/not a readable tar archive/);
      expect((await refusalOf([{ name: 'README', bytes: Buffer.from('hi') }])).message).toMatch(
        /neither manifest.json \(docker-archive\) nor index.json \(oci-archive\)/,
      );
    });
  });
});

function replace(entries: ArchiveEntry[], name: string, text: string): ArchiveEntry[] {
  return entries.map((e) => (e.name === name ? { ...e, bytes: Buffer.from(text) } : e));
}

function retag(entries: ArchiveEntry[], repoTags: string[]): ArchiveEntry[] {
  return entries.map((e) => {
    if (e.name !== 'manifest.json') return e;
    const images = JSON.parse(Buffer.from(e.bytes!).toString('utf8')) as Record<string, unknown>[];
    return {
      ...e,
      bytes: Buffer.from(JSON.stringify(images.map((image) => ({ ...image, RepoTags: repoTags })))),
    };
  });
}
