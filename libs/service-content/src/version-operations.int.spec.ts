import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  blobKey,
  manifestKey,
  tagKey,
  type RepositoryView,
  type UnitKey,
  type VersionWriteResult,
} from '@wharf/contracts';
import type { BusMessage } from '@wharf/ports';
import {
  blobsOf,
  descriptorOf,
  fixtureManifest,
  imageIndex,
  manifestsOf,
  randomImage,
  randomLayer,
  type FixtureImage,
  type FixtureManifest,
} from '@wharf/testing';
import { ContentHarness } from './testing/content-service.harness.js';

/** Every unit key a fixture brings into a version when added recursively (manifests and blobs). */
function unitsOf(fixture: FixtureManifest): UnitKey[] {
  return [
    ...manifestsOf(fixture).map((manifest) => manifestKey(manifest.digest)),
    ...blobsOf(fixture).map((blob) => blobKey(blob.digest)),
  ];
}

function sorted(...keys: UnitKey[]): UnitKey[] {
  return [...new Set(keys)].sort();
}

describe('repository version operations (content service, embedded adapters)', () => {
  let content: ContentHarness;
  let repository: RepositoryView;

  beforeEach(async () => {
    content = await ContentHarness.start();
    repository = await content.createRepository('operations');
  });

  afterEach(async () => {
    await content.close();
  });

  async function record(...fixtures: FixtureManifest[]): Promise<void> {
    for (const fixture of fixtures) {
      for (const blob of blobsOf(fixture)) await content.storeBlob(blob.bytes);
      for (const manifest of manifestsOf(fixture)) await content.recordManifest(manifest.bytes);
    }
  }

  const keys = (version: number, repositoryId = repository.id) => content.versionKeys(repositoryId, version);
  const latest = async (repositoryId = repository.id) =>
    (await content.ask('content.repository.get', { id: repositoryId })).latestVersion;
  const add = (units: UnitKey[], repositoryId = repository.id): Promise<VersionWriteResult> =>
    content.ask('content.version.add', { repositoryId, units });

  describe('modify, add and remove', () => {
    it('adds recursively: a tag of an index brings the index, its images and all their blobs', async () => {
      const index = imageIndex([
        randomImage(),
        randomImage({ platform: { os: 'linux', architecture: 'arm64' } }),
      ]);
      await record(index);

      const result = await add([tagKey('latest', index.digest)]);

      expect(result.created).toBe(true);
      expect(result.version).toMatchObject({
        repositoryId: repository.id,
        number: 1,
        baseVersion: null,
        contentSummary: {
          added: { tag: 1, manifest: 3, blob: 6 },
          removed: { tag: 0, manifest: 0, blob: 0 },
          present: { tag: 1, manifest: 3, blob: 6 },
        },
      });
      expect(await keys(1)).toEqual(sorted(tagKey('latest', index.digest), ...unitsOf(index)));
      expect(await keys(0)).toEqual([]);
      expect(await latest()).toBe(1);
    });

    it('removes recursively, keeping what content that stays still needs', async () => {
      const shared = randomImage();
      const ownLayer = randomLayer();
      const sibling = fixtureManifest({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: descriptorOf(shared.config),
        layers: [descriptorOf(shared.layers[0]!), descriptorOf(ownLayer)],
      });
      await record(shared);
      await content.storeBlob(ownLayer.bytes);
      await content.recordManifest(sibling.bytes);
      await add([
        tagKey('shared', shared.digest),
        tagKey('v1', shared.digest),
        tagKey('sibling', sibling.digest),
      ]);

      const result = await content.ask('content.version.remove', {
        repositoryId: repository.id,
        units: [manifestKey(shared.digest)],
      });

      // The manifest goes with both its tags and its own layer; the config and first layer stay for the sibling.
      expect(result.version.contentSummary.removed).toEqual({ tag: 2, manifest: 1, blob: 1 });
      expect(await keys(2)).toEqual(
        sorted(
          tagKey('sibling', sibling.digest),
          manifestKey(sibling.digest),
          blobKey(shared.config.digest),
          blobKey(shared.layers[0]!.digest),
          blobKey(ownLayer.digest),
        ),
      );
    });

    it("removes everything with '*', and replaces the content when '*' comes with additions", async () => {
      const [a, b] = [randomImage(), randomImage()];
      await record(a, b);
      await add([tagKey('a', a.digest)]);

      const emptied = await content.ask('content.version.remove', {
        repositoryId: repository.id,
        units: '*',
      });
      expect(emptied.version.contentSummary.present).toEqual({ tag: 0, manifest: 0, blob: 0 });
      expect(await keys(2)).toEqual([]);

      await add([tagKey('a', a.digest)]);
      const replaced = await content.ask('content.version.modify', {
        repositoryId: repository.id,
        remove: '*',
        add: [tagKey('b', b.digest)],
      });
      expect(replaced.version.number).toBe(4);
      expect(await keys(4)).toEqual(sorted(tagKey('b', b.digest), ...unitsOf(b)));
    });

    it('applies a change to an older base version and records that base', async () => {
      const [a, b, c] = [randomImage(), randomImage(), randomImage()];
      await record(a, b, c);
      await add([tagKey('a', a.digest)]);
      await add([tagKey('b', b.digest)]);

      const result = await content.ask('content.version.modify', {
        repositoryId: repository.id,
        add: [tagKey('c', c.digest)],
        baseVersion: 1,
      });

      expect(result.version).toMatchObject({ number: 3, baseVersion: 1 });
      expect(await keys(3)).toEqual(
        sorted(tagKey('a', a.digest), tagKey('c', c.digest), ...unitsOf(a), ...unitsOf(c)),
      );
      expect(result.version.contentSummary).toMatchObject({
        added: { tag: 1, manifest: 1, blob: 3 },
        removed: { tag: 1, manifest: 1, blob: 3 },
      });
    });

    it('replaces a present tag of the same name when adding a tag', async () => {
      const [a, b] = [randomImage(), randomImage()];
      await record(a, b);
      await add([tagKey('latest', a.digest)]);

      await add([tagKey('latest', b.digest)]);

      const tags = await content.versionKeys(repository.id, 2, 'present', 'tag');
      expect(tags).toEqual([tagKey('latest', b.digest)]);
      expect(await keys(2)).toEqual(sorted(tagKey('latest', b.digest), ...unitsOf(a), ...unitsOf(b)));
    });

    it('makes no version when nothing changes', async () => {
      const image = randomImage();
      await record(image);
      await add([tagKey('latest', image.digest)]);

      const again = await add([tagKey('latest', image.digest)]);

      expect(again).toMatchObject({ created: false, version: { number: 1 } });
      expect(await latest()).toBe(1);
    });
  });

  describe('tag and untag', () => {
    it('tags a present manifest, moves a tag to another manifest, and untags it leaving the manifest', async () => {
      const [a, b] = [randomImage(), randomImage()];
      await record(a, b);
      await add([manifestKey(a.digest), manifestKey(b.digest)]);
      const tags = (version: number) => content.versionKeys(repository.id, version, 'present', 'tag');

      await content.ask('content.version.tag', {
        repositoryId: repository.id,
        tag: 'stable',
        digest: a.digest,
      });
      expect(await tags(2)).toEqual([tagKey('stable', a.digest)]);

      await content.ask('content.version.tag', {
        repositoryId: repository.id,
        tag: 'stable',
        digest: b.digest,
      });
      expect(await tags(3)).toEqual([tagKey('stable', b.digest)]);

      const untagged = await content.ask('content.version.untag', {
        repositoryId: repository.id,
        tag: 'stable',
      });
      expect(untagged.version.contentSummary.removed).toEqual({ tag: 1, manifest: 0, blob: 0 });
      expect(await keys(4)).toEqual(sorted(...unitsOf(a), ...unitsOf(b)));
    });

    it('refuses to tag a manifest the version does not hold, or to untag a missing tag', async () => {
      const image = randomImage();
      await record(image);

      await expect(
        content.ask('content.version.tag', { repositoryId: repository.id, tag: 'x', digest: image.digest }),
      ).rejects.toMatchObject({
        remoteName: 'ValidationError',
        details: { digest: [`manifest ${image.digest} is not present in the repository version.`] },
      });
      await expect(
        content.ask('content.version.untag', { repositoryId: repository.id, tag: 'x' }),
      ).rejects.toMatchObject({ details: { tag: ['tag x is not present in the repository version.'] } });
      expect(await latest()).toBe(0);
    });
  });

  describe('partial manifest lists (ADR 0012)', () => {
    let amd64: FixtureImage;
    let arm64: FixtureImage;
    let list: FixtureManifest;

    beforeEach(() => {
      amd64 = randomImage();
      arm64 = randomImage({ platform: { os: 'linux', architecture: 'arm64' } });
      list = imageIndex([amd64, arm64]);
    });

    it('keeps a list with the listed manifests the catalog knows, and removes it whole', async () => {
      await record(amd64);
      await content.recordManifest(list.bytes);

      await add([tagKey('latest', list.digest)]);
      expect(await keys(1)).toEqual(
        sorted(tagKey('latest', list.digest), manifestKey(list.digest), ...unitsOf(amd64)),
      );

      const copy = await content.createRepository('copy');
      await content.ask('content.version.copy_tags', {
        repositoryId: copy.id,
        source: { repositoryId: repository.id },
      });
      expect(await keys(1, copy.id)).toEqual(await keys(1));

      await content.ask('content.version.remove', {
        repositoryId: repository.id,
        units: [tagKey('latest', list.digest)],
      });
      expect(await keys(2)).toEqual([]);
    });

    it('leaves out the listed manifests a change names, with what only they need, though the catalog knows them', async () => {
      await record(list);

      await content.ask('content.version.modify', {
        repositoryId: repository.id,
        add: [tagKey('latest', list.digest)],
        leftOut: [manifestKey(arm64.digest)],
      });

      expect(await keys(1)).toEqual(
        sorted(tagKey('latest', list.digest), manifestKey(list.digest), ...unitsOf(amd64)),
      );
    });

    it('still refuses a manifest whose blobs are unknown when a list reaches it', async () => {
      await record(arm64);
      await content.recordManifest(amd64.bytes);
      await content.recordManifest(list.bytes);

      await expect(add([manifestKey(list.digest)])).rejects.toMatchObject({
        remoteName: 'ValidationError',
        message: expect.stringContaining(manifestKey(amd64.digest)),
      });
    });
  });

  describe('copy_tags and copy_manifests', () => {
    let source: RepositoryView;
    let images: FixtureImage[];

    beforeEach(async () => {
      source = await content.createRepository('source');
      images = [randomImage(), randomImage({ format: 'docker' }), randomImage()];
      await record(...images);
      await add(
        [tagKey('one', images[0]!.digest), tagKey('two', images[1]!.digest), manifestKey(images[2]!.digest)],
        source.id,
      );
    });

    it('copies the named tags with their manifests and blobs', async () => {
      const result = await content.ask('content.version.copy_tags', {
        repositoryId: repository.id,
        source: { repositoryId: source.id },
        names: ['two'],
      });

      expect(result.version.number).toBe(1);
      expect(await keys(1)).toEqual(sorted(tagKey('two', images[1]!.digest), ...unitsOf(images[1]!)));
    });

    it('copies every tag of the source version when no names are given, replacing same-named tags', async () => {
      await add([tagKey('one', images[2]!.digest)]);

      await content.ask('content.version.copy_tags', {
        repositoryId: repository.id,
        source: { repositoryId: source.id, version: 1 },
      });

      expect(await content.versionKeys(repository.id, 2, 'present', 'tag')).toEqual([
        tagKey('one', images[0]!.digest),
        tagKey('two', images[1]!.digest),
      ]);
    });

    it('copies manifests by digest or media type, without their tags', async () => {
      await content.ask('content.version.copy_manifests', {
        repositoryId: repository.id,
        source: { repositoryId: source.id },
        digests: [images[0]!.digest],
      });
      expect(await keys(1)).toEqual(sorted(...unitsOf(images[0]!)));

      await content.ask('content.version.copy_manifests', {
        repositoryId: repository.id,
        source: { repositoryId: source.id },
        mediaTypes: ['application/vnd.docker.distribution.manifest.v2+json'],
      });
      expect(await keys(2)).toEqual(sorted(...unitsOf(images[0]!), ...unitsOf(images[1]!)));

      await content.ask('content.version.copy_manifests', {
        repositoryId: repository.id,
        source: { repositoryId: source.id },
      });
      expect(await keys(3)).toEqual(sorted(...images.flatMap(unitsOf)));
    });

    it('refuses a source that does not exist, naming it, and a tag or manifest the source lacks', async () => {
      const missing = '00000000-0000-4000-8000-000000000000';
      await expect(
        content.ask('content.version.copy_tags', {
          repositoryId: repository.id,
          source: { repositoryId: missing },
        }),
      ).rejects.toMatchObject({
        remoteName: 'ValidationError',
        details: { source_repository: [`repository ${missing} does not exist.`] },
      });
      await expect(
        content.ask('content.version.copy_tags', {
          repositoryId: repository.id,
          source: { repositoryId: source.id, version: 7 },
        }),
      ).rejects.toMatchObject({
        details: { source_repository_version: [expect.stringContaining('version 7')] },
      });
      await expect(
        content.ask('content.version.copy_tags', {
          repositoryId: repository.id,
          source: { repositoryId: source.id },
          names: ['one', 'three'],
        }),
      ).rejects.toMatchObject({ details: { names: [expect.stringContaining('has no tag named three')] } });
      await expect(
        content.ask('content.version.copy_manifests', {
          repositoryId: repository.id,
          source: { repositoryId: source.id, version: 0 },
          digests: [images[0]!.digest],
        }),
      ).rejects.toMatchObject({ details: { digests: [expect.stringContaining(images[0]!.digest)] } });
      expect(await latest()).toBe(0);
    });
  });

  describe('rollback and diff', () => {
    let images: FixtureImage[];

    beforeEach(async () => {
      images = [randomImage(), randomImage(), randomImage()];
      await record(...images);
      await add([tagKey('a', images[0]!.digest)]);
      await add([tagKey('b', images[1]!.digest)]);
      await content.ask('content.version.remove', {
        repositoryId: repository.id,
        units: [tagKey('a', images[0]!.digest)],
      });
      await add([tagKey('c', images[2]!.digest)]);
    });

    it('rolls back to an older version as a new version holding exactly its content', async () => {
      const result = await content.ask('content.version.rollback', {
        repositoryId: repository.id,
        version: 1,
      });

      expect(result.version).toMatchObject({ number: 5, baseVersion: 1 });
      expect(await keys(5)).toEqual(await keys(1));
      const unchanged = await content.ask('content.version.rollback', {
        repositoryId: repository.id,
        version: 5,
      });
      expect(unchanged.created).toBe(false);
    });

    it('diffs any two versions either way, per type', async () => {
      const diff = async (from: number, to: number, type?: 'tag' | 'manifest' | 'blob') =>
        (
          await content.ask('content.version.diff', {
            repositoryId: repository.id,
            from,
            to,
            type,
            limit: 100,
          })
        ).items;

      expect(await diff(1, 4, 'tag')).toEqual([
        { key: tagKey('a', images[0]!.digest), change: 'removed' },
        { key: tagKey('b', images[1]!.digest), change: 'added' },
        { key: tagKey('c', images[2]!.digest), change: 'added' },
      ]);
      expect(await diff(4, 1, 'manifest')).toEqual(
        [
          { key: manifestKey(images[0]!.digest), change: 'added' },
          { key: manifestKey(images[1]!.digest), change: 'removed' },
          { key: manifestKey(images[2]!.digest), change: 'removed' },
        ].sort((x, y) => x.key.localeCompare(y.key)),
      );
      expect(await diff(2, 2)).toEqual([]);
    });

    it('refuses to roll back to a version that does not exist', async () => {
      await expect(
        content.ask('content.version.rollback', { repositoryId: repository.id, version: 9 }),
      ).rejects.toMatchObject({ remoteName: 'NotFoundError', message: expect.stringContaining('version 9') });
      expect(await latest()).toBe(4);
    });
  });

  describe('reading versions', () => {
    it('lists versions newest first with their summaries, and reads one by number', async () => {
      const image = randomImage();
      await record(image);
      await add([tagKey('latest', image.digest)]);
      await content.ask('content.version.untag', { repositoryId: repository.id, tag: 'latest' });

      const page = await content.ask('content.version.list', {
        repositoryId: repository.id,
        offset: 0,
        limit: 10,
      });

      expect(page.count).toBe(3);
      expect(page.results.map((version) => version.number)).toEqual([2, 1, 0]);
      expect(page.results[0]!.contentSummary).toEqual({
        added: { blob: 0, manifest: 0, tag: 0 },
        removed: { blob: 0, manifest: 0, tag: 1 },
        present: { blob: 3, manifest: 1, tag: 0 },
      });
      expect(await content.ask('content.version.get', { repositoryId: repository.id, version: 1 })).toEqual(
        page.results[1],
      );
      await expect(
        content.ask('content.version.get', { repositoryId: repository.id, version: 3 }),
      ).rejects.toMatchObject({ remoteName: 'NotFoundError' });
    });

    it('pages through present, added and removed units of any version by key, per type', async () => {
      const images = Array.from({ length: 6 }, () => randomImage({ layers: 1 }));
      await record(...images);
      await add(images.map((image, i) => tagKey(`t${i}`, image.digest)));
      await content.ask('content.version.remove', {
        repositoryId: repository.id,
        units: images.slice(0, 2).map((image) => manifestKey(image.digest)),
      });
      const all = sorted(...images.flatMap((image, i) => [tagKey(`t${i}`, image.digest), ...unitsOf(image)]));

      const pages: UnitKey[][] = [];
      let afterKey: UnitKey | undefined;
      do {
        const page = await content.ask('content.version.units', {
          repositoryId: repository.id,
          version: 1,
          membership: 'present',
          limit: 5,
          afterKey,
        });
        pages.push([...page.items]);
        afterKey = page.nextAfterKey;
      } while (afterKey);

      expect(pages.flat()).toEqual(all);
      expect(pages.slice(0, -1).every((page) => page.length === 5)).toBe(true);
      expect(await content.versionKeys(repository.id, 2, 'removed', 'tag')).toEqual(
        sorted(tagKey('t0', images[0]!.digest), tagKey('t1', images[1]!.digest)),
      );
      expect(await content.versionKeys(repository.id, 2, 'added')).toEqual([]);
      expect(await content.versionKeys(repository.id, 1, 'added', 'manifest')).toEqual(
        sorted(...images.map((image) => manifestKey(image.digest))),
      );
    });
  });

  describe('bad input: a clear error naming the object, and no new version', () => {
    let image: FixtureImage;

    beforeEach(async () => {
      image = randomImage();
      await record(image);
      await add([manifestKey(image.digest)]);
    });

    async function expectRefused(
      request: Promise<unknown>,
      expected: Record<string, unknown>,
    ): Promise<void> {
      await expect(request).rejects.toMatchObject(expected);
      expect(await latest()).toBe(1);
    }

    it('refuses a unit the catalog does not know', async () => {
      const unknown = manifestKey(`sha256:${'0'.repeat(64)}`);
      await expectRefused(add([unknown]), {
        remoteName: 'ValidationError',
        details: { content_units: [`${unknown} is not a known content unit.`] },
      });
      await expectRefused(
        content.ask('content.version.remove', { repositoryId: repository.id, units: [unknown] }),
        { details: { content_units: [`${unknown} is not a known content unit.`] } },
      );
      const neverUsedTag = tagKey('never-used', image.digest);
      await expectRefused(
        content.ask('content.version.remove', { repositoryId: repository.id, units: [neverUsedTag] }),
        { details: { content_units: [`${neverUsedTag} is not a known content unit.`] } },
      );
      await expectRefused(add([tagKey('x', unknown.slice('manifest:'.length))]), {
        details: { content_units: [`${unknown} is not a known content unit.`] },
      });
    });

    it('refuses a digest used as another type than the catalog knows it as', async () => {
      const layer = image.layers[0]!.digest;
      await expectRefused(add([manifestKey(layer)]), {
        details: { content_units: [`${layer} is a blob, not a manifest.`] },
      });
      await expectRefused(add([tagKey('x', layer)]), {
        details: { content_units: [`${layer} is a blob, not a manifest.`] },
      });
      await expectRefused(
        content.ask('content.version.tag', { repositoryId: repository.id, tag: 'x', digest: layer }),
        { details: { digest: [`${layer} is a blob, not a manifest.`] } },
      );
    });

    it('refuses a tag name outside the OCI tag grammar', async () => {
      await expectRefused(add([`tag:-bad@${image.digest}`]), {
        remoteName: 'ValidationError',
        details: { tag: [expect.stringContaining('"-bad" is not a valid tag name')] },
      });
      await expectRefused(
        content.ask('content.version.tag', {
          repositoryId: repository.id,
          tag: 'no/slash',
          digest: image.digest,
        }),
        { details: { tag: [expect.stringContaining('"no/slash" is not a valid tag name')] } },
      );
      await expectRefused(add(['tag:nodigest']), {
        details: { content_units: [expect.stringContaining('"tag:nodigest" is not a content unit')] },
      });
    });

    it('refuses a base version that does not exist', async () => {
      await expectRefused(
        content.ask('content.version.modify', {
          repositoryId: repository.id,
          add: [tagKey('x', image.digest)],
          baseVersion: 4,
        }),
        { details: { base_version: [`version 4 of repository ${repository.id} does not exist.`] } },
      );
    });

    it('refuses a manifest whose blobs were never recorded, naming the missing blob', async () => {
      const orphanLayer = randomLayer();
      const incomplete = fixtureManifest({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: descriptorOf(image.config),
        layers: [descriptorOf(orphanLayer)],
      });
      await content.recordManifest(incomplete.bytes);

      await expectRefused(add([manifestKey(incomplete.digest)]), {
        details: {
          content_units: [
            `${manifestKey(incomplete.digest)} needs ${blobKey(orphanLayer.digest)}, which is not a known content unit.`,
          ],
        },
      });
    });

    it('answers a repository that does not exist with NotFound', async () => {
      const missing = '00000000-0000-4000-8000-000000000001';
      await expect(
        content.ask('content.version.add', { repositoryId: missing, units: [manifestKey(image.digest)] }),
      ).rejects.toMatchObject({ remoteName: 'NotFoundError', message: `repository ${missing} not found` });
    });
  });

  it('publishes every repository and version event on the bus', async () => {
    const received: BusMessage<{ type: string; data: { version?: number } }>[] = [];
    const subscription = await content.bus.subscribeEvents<{ type: string; data: { version?: number } }>(
      'test-audit',
      'events.repository.>',
      async (message) => {
        received.push(message);
      },
    );
    try {
      const image = randomImage();
      await record(image);
      await add([tagKey('latest', image.digest)]);

      await expect
        .poll(() => received.map((message) => message.subject))
        .toEqual(
          expect.arrayContaining([
            'events.repository.RepositoryCreated',
            'events.repository.VersionContentAdded',
            'events.repository.RepositoryVersionCreated',
          ]),
        );
      const created = received.find((message) => message.subject.endsWith('.RepositoryVersionCreated'));
      expect(created?.data.data.version).toBe(1);
    } finally {
      await subscription.close();
    }
  });
});
