import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  blobKey,
  manifestKey,
  parseUnitKey,
  tagKey,
  type CatalogUnit,
  type UnitKey,
  type UnitType,
} from '@wharf/contracts';
import {
  LatestVersionDeletionError,
  VersionNotFoundError,
  VersionOutOfOrderError,
  type ContentIndex,
  type Page,
  type PageRequest,
  type VersionChunk,
  type VersionMembership,
} from '@wharf/ports';

export interface OpenedContentIndex {
  /** An empty index, opened for one test. */
  readonly index: ContentIndex;
  /** Opens another index over the same storage (after `index` was closed), to show what survives. */
  readonly reopen: () => Promise<ContentIndex>;
  /** Closes what is still open and removes the storage. */
  readonly cleanup: () => Promise<void>;
}

const REPO = 'repository-a';
const OTHER_REPO = 'repository-b';
const LONG_AGO = '2020-01-01T00:00:00.000Z';
const RECENTLY = '2030-01-01T00:00:00.000Z';
const CUTOFF = new Date('2025-01-01T00:00:00.000Z');

/**
 * The behaviour every ContentIndex adapter must show (libs/ports/src/content-index.port.ts). `open` is
 * called once per test and must return an empty index.
 */
export function contentIndexContract(adapterName: string, open: () => Promise<OpenedContentIndex>): void {
  describe(`ContentIndex contract: ${adapterName}`, () => {
    let opened: OpenedContentIndex;
    let index: ContentIndex;

    beforeEach(async () => {
      opened = await open();
      index = opened.index;
    });

    afterEach(async () => {
      await opened.cleanup();
    });

    async function apply(version: number, added: UnitKey[], removed: UnitKey[] = [], repository = REPO) {
      return index.applyVersion(repository, version, [{ added, removed }]);
    }

    async function keysOf(version: number, membership: VersionMembership = 'present', repository = REPO) {
      return allPages((page) => index.listVersionUnits(repository, version, { membership, ...page }));
    }

    describe('versions', () => {
      it('holds in each version what was added up to it minus what was removed; version 0 is empty', async () => {
        const [a, b, c, d] = blobs('a', 'b', 'c', 'd');
        await apply(1, [a, b, c]);
        await apply(2, [d], [b]);
        await apply(3, [b], [a]);

        expect(await keysOf(0)).toEqual([]);
        expect(await keysOf(1)).toEqual(sorted(a, b, c));
        expect(await keysOf(2)).toEqual(sorted(a, c, d));
        expect(await keysOf(3)).toEqual(sorted(b, c, d));
        expect(await keysOf(3, 'added')).toEqual([b]);
        expect(await keysOf(3, 'removed')).toEqual([a]);
        expect(await keysOf(2, 'added')).toEqual([d]);
        expect(await keysOf(2, 'removed')).toEqual([b]);
        expect(await index.lastAppliedVersion(REPO)).toBe(3);
      });

      it('reads a version change from an async stream of chunks', async () => {
        const keys = blobs(...Array.from({ length: 25 }, (_, i) => `chunked-${i}`));
        async function* chunks(): AsyncIterable<VersionChunk> {
          for (let i = 0; i < keys.length; i += 10) {
            await Promise.resolve();
            yield { added: keys.slice(i, i + 10), removed: [] };
          }
        }

        expect(await index.applyVersion(REPO, 1, chunks())).toBe(true);

        expect(await keysOf(1)).toEqual(sorted(...keys));
      });

      it('ignores a replayed version without reading its changes', async () => {
        const [a, b] = blobs('a', 'b');
        await apply(1, [a]);
        await apply(2, [b]);
        const untouchable: Iterable<VersionChunk> = {
          [Symbol.iterator]: () => {
            throw new Error('a replayed version must not be read');
          },
        };

        expect(await index.applyVersion(REPO, 1, untouchable)).toBe(false);
        expect(await index.applyVersion(REPO, 2, [{ added: [], removed: [a, b] }])).toBe(false);

        expect(await keysOf(2)).toEqual(sorted(a, b));
        expect(await index.lastAppliedVersion(REPO)).toBe(2);
      });

      it('refuses to skip a version and applies nothing of it', async () => {
        await apply(1, blobs('a'));

        await expect(apply(3, blobs('b'))).rejects.toBeInstanceOf(VersionOutOfOrderError);

        expect(await index.lastAppliedVersion(REPO)).toBe(1);
        await expect(keysOf(3)).rejects.toBeInstanceOf(VersionNotFoundError);
      });

      it('completes a version when an apply that failed midway is repeated', async () => {
        const keys = blobs(...Array.from({ length: 12 }, (_, i) => `retried-${i}`));
        const [kept, dropped] = blobs('kept', 'dropped');
        await apply(1, [kept, dropped]);
        async function* failingAfterOneChunk(): AsyncIterable<VersionChunk> {
          yield { added: keys.slice(0, 6), removed: [dropped] };
          throw new Error('event store read failed');
        }

        await expect(index.applyVersion(REPO, 2, failingAfterOneChunk())).rejects.toThrow('event store read');
        expect(await index.lastAppliedVersion(REPO)).toBe(1);
        expect(await keysOf(1)).toEqual(sorted(kept, dropped));

        const full = [
          { added: keys.slice(0, 6), removed: [dropped] },
          { added: keys.slice(6), removed: [] },
        ];
        expect(await index.applyVersion(REPO, 2, full)).toBe(true);

        expect(await keysOf(2)).toEqual(sorted(kept, ...keys));
        expect(await keysOf(2, 'removed')).toEqual([dropped]);
        expect((await index.countSummary(REPO, 2)).blob).toEqual({ present: 13, added: 12, removed: 1 });
      });

      it('treats adding a present key or removing an absent one as no change', async () => {
        const [a, b, never] = blobs('a', 'b', 'never-added');
        await apply(1, [a]);

        await apply(2, [a, b], [never]);

        expect(await keysOf(2)).toEqual(sorted(a, b));
        expect(await keysOf(2, 'added')).toEqual([b]);
        expect(await keysOf(2, 'removed')).toEqual([]);
        expect((await index.countSummary(REPO, 2)).blob).toEqual({ present: 2, added: 1, removed: 0 });
      });

      it('keeps repositories apart', async () => {
        const [a, b] = blobs('a', 'b');
        await apply(1, [a], [], REPO);
        await apply(1, [b], [], OTHER_REPO);
        await apply(2, [], [a], REPO);

        expect(await keysOf(1, 'present', OTHER_REPO)).toEqual([b]);
        expect(await keysOf(2)).toEqual([]);
        expect(await index.lastAppliedVersion(OTHER_REPO)).toBe(1);
      });

      it('rejects reads of a version that was never applied', async () => {
        await apply(1, blobs('a'));

        await expect(index.presentAmong(REPO, 2, blobs('a'))).rejects.toBeInstanceOf(VersionNotFoundError);
        await expect(index.presentAmong('no-such-repository', 1, blobs('a'))).rejects.toBeInstanceOf(
          VersionNotFoundError,
        );
      });

      it('reads version 0 of a repository with no applied version as empty', async () => {
        expect(await keysOf(0, 'present', 'new-repository')).toEqual([]);
        expect(await index.presentAmong('new-repository', 0, blobs('a'))).toEqual([]);
        expect((await index.countSummary('new-repository', 0)).blob).toEqual({
          present: 0,
          added: 0,
          removed: 0,
        });
      });

      it('keeps what it was told across close and reopen', async () => {
        const [a, b] = blobs('a', 'b');
        await index.recordUnits([blobUnit('a')]);
        await apply(1, [a, b]);
        await apply(2, [], [b]);
        await index.close();

        index = await opened.reopen();

        await index.ping();
        expect(await index.lastAppliedVersion(REPO)).toBe(2);
        expect(await keysOf(1)).toEqual(sorted(a, b));
        expect(await keysOf(2)).toEqual([a]);
        expect((await index.getUnits([a])).map((u) => u.key)).toEqual([a]);
      });
    });

    describe('listing versions', () => {
      const units = [
        ...blobs('b1', 'b2', 'b3'),
        ...manifests('m1', 'm2'),
        tagKey('latest', digestOf('m1')),
        tagKey('v1', digestOf('m2')),
      ];

      it('pages through a version in key order with afterKey and limit', async () => {
        await apply(1, units);

        const first = await index.listVersionUnits(REPO, 1, { membership: 'present', limit: 3 });
        const second = await index.listVersionUnits(REPO, 1, {
          membership: 'present',
          limit: 3,
          afterKey: first.nextAfterKey,
        });
        const last = await index.listVersionUnits(REPO, 1, {
          membership: 'present',
          limit: 3,
          afterKey: second.nextAfterKey,
        });

        expect(first.items).toEqual(sorted(...units).slice(0, 3));
        expect(first.nextAfterKey).toBe(first.items[2]);
        expect(second.items).toEqual(sorted(...units).slice(3, 6));
        expect(last).toEqual({ items: sorted(...units).slice(6) });
      });

      it('ends without a next key when the last page is exactly full', async () => {
        await apply(1, units.slice(0, 4));

        expect(await index.listVersionUnits(REPO, 1, { membership: 'present', limit: 4 })).toEqual({
          items: sorted(...units.slice(0, 4)),
        });
      });

      it('filters by unit type, also after a key of another type', async () => {
        await apply(1, units);

        expect(await keysOfType(1, 'manifest')).toEqual(sorted(...manifests('m1', 'm2')));
        expect(await keysOfType(1, 'tag')).toEqual(sorted(...units.filter((k) => k.startsWith('tag:'))));
        const afterBlobs = await index.listVersionUnits(REPO, 1, {
          membership: 'present',
          type: 'tag',
          afterKey: blobKey(digestOf('b1')),
          limit: 10,
        });
        expect(afterBlobs.items).toHaveLength(2);
      });

      it('pages an older version, skipping units it did not hold', async () => {
        const [x, y] = blobs('x', 'y');
        await apply(1, units);
        await apply(2, [x, y], units.slice(0, 4));
        await apply(3, [], [x]);

        expect(await keysOf(1)).toEqual(sorted(...units));
        expect(await keysOf(2)).toEqual(sorted(...units.slice(4), x, y));
        expect(
          await allPages((page) =>
            index.listVersionUnits(REPO, 2, { membership: 'present', type: 'blob', ...page }),
          ),
        ).toEqual(sorted(x, y));
        expect(await keysOf(3)).toEqual(sorted(...units.slice(4), y));
      });

      async function keysOfType(version: number, type: UnitType) {
        return allPages((page) =>
          index.listVersionUnits(REPO, version, { membership: 'present', type, ...page }),
        );
      }
    });

    describe('diff', () => {
      it('pages what b has and a lacks as added, and what a has and b lacks as removed', async () => {
        const [a, b, c, d, e] = blobs('a', 'b', 'c', 'd', 'e');
        const m = manifestKey(digestOf('m'));
        await apply(1, [a, b, c]);
        await apply(2, [d, m], [b]);
        await apply(3, [e, b], [a, d]);

        expect(await diffOf(1, 3)).toEqual(
          sortedChanges(
            { key: a, change: 'removed' },
            { key: e, change: 'added' },
            { key: m, change: 'added' },
          ),
        );
        expect(await diffOf(3, 1)).toEqual(
          sortedChanges(
            { key: a, change: 'added' },
            { key: e, change: 'removed' },
            { key: m, change: 'removed' },
          ),
        );
        expect(await diffOf(2, 2)).toEqual([]);
        expect(await diffOf(0, 2)).toEqual(
          sortedChanges(...[a, c, d, m].map((key) => ({ key, change: 'added' as const }))),
        );
        const manifestsOnly = await index.diff(REPO, 1, 3, { type: 'manifest', limit: 10 });
        expect(manifestsOnly.items).toEqual([{ key: m, change: 'added' }]);
      });

      async function diffOf(a: number, b: number) {
        return allPages((page) => index.diff(REPO, a, b, page));
      }
    });

    describe('questions the content service asks about a version', () => {
      it('answers which of some keys a version holds', async () => {
        const [a, b, c, d] = blobs('a', 'b', 'c', 'd');
        await apply(1, [a, b, c]);
        await apply(2, [d], [a]);

        expect(await index.presentAmong(REPO, 2, [d, a, b, blobKey(digestOf('unknown'))])).toEqual(
          sorted(b, d),
        );
        expect(await index.presentAmong(REPO, 1, [d, a, b])).toEqual(sorted(a, b));
        expect(await index.presentAmong(REPO, 1, [])).toEqual([]);
      });

      it('finds the tags of a version by name, whatever manifest they point at', async () => {
        const latestOld = tagKey('latest', digestOf('m1'));
        const latestNew = tagKey('latest', digestOf('m2'));
        const latestRc = tagKey('latest-rc', digestOf('m1'));
        const v1 = tagKey('v1', digestOf('m1'));
        const v10 = tagKey('v1.0', digestOf('m1'));
        await apply(1, [latestOld, latestRc, v1, v10]);
        await apply(2, [latestNew], [latestOld]);

        expect(await index.presentTagsNamed(REPO, 2, ['latest', 'v1', 'missing'])).toEqual(
          sorted(latestNew, v1),
        );
        expect(await index.presentTagsNamed(REPO, 1, ['latest', 'latest'])).toEqual([latestOld]);
        expect(await index.presentTagsNamed(REPO, 1, ['v1.0'])).toEqual([v10]);
      });

      it('finds which units of a version reference some keys', async () => {
        await index.recordUnits([
          ...['b1', 'b2', 'b3'].map((name) => blobUnit(name)),
          manifestUnit('m1', ['b1', 'b2']),
          manifestUnit('m2', ['b2']),
          manifestUnit('m3', ['b2', 'b3']),
          tagUnit('latest', 'm1'),
        ]);
        const [m1, m2, m3] = manifests('m1', 'm2', 'm3');
        const [b1, b2, b3] = blobs('b1', 'b2', 'b3');
        await apply(1, [m1, m2, m3, b1, b2, b3, tagKey('latest', digestOf('m1'))]);
        await apply(2, [], [m3]);

        expect(await index.referrersInVersion(REPO, 2, [b2, b3])).toEqual(
          sortedReferences({ from: m1, to: b2 }, { from: m2, to: b2 }),
        );
        expect(await index.referrersInVersion(REPO, 1, [b3])).toEqual([{ from: m3, to: b3 }]);
        expect(await index.referrersInVersion(REPO, 2, [m1])).toEqual([
          { from: tagKey('latest', digestOf('m1')), to: m1 },
        ]);
      });

      it('counts each version per unit type', async () => {
        await apply(1, [...blobs('a', 'b', 'c'), ...manifests('m1'), tagKey('t', digestOf('m1'))]);
        await apply(2, [...manifests('m2')], [...blobs('a', 'b'), tagKey('t', digestOf('m1'))]);

        expect(await index.countSummary(REPO, 0)).toEqual({
          blob: { present: 0, added: 0, removed: 0 },
          manifest: { present: 0, added: 0, removed: 0 },
          tag: { present: 0, added: 0, removed: 0 },
        });
        expect(await index.countSummary(REPO, 1)).toEqual({
          blob: { present: 3, added: 3, removed: 0 },
          manifest: { present: 1, added: 1, removed: 0 },
          tag: { present: 1, added: 1, removed: 0 },
        });
        expect(await index.countSummary(REPO, 2)).toEqual({
          blob: { present: 1, added: 0, removed: 2 },
          manifest: { present: 2, added: 1, removed: 0 },
          tag: { present: 0, added: 0, removed: 1 },
        });
      });
    });

    describe('deleting versions (retention)', () => {
      const [kept, onlyInTwo, fromTwo, goneInTwo, goneInThree, late] = blobs(
        'kept',
        'only-in-2',
        'from-2',
        'gone-in-2',
        'gone-in-3',
        'late',
      );

      /** v1 {kept, goneInTwo, goneInThree}; v2 +onlyInTwo +fromTwo -goneInTwo; v3 -onlyInTwo -goneInThree; v4 +late. */
      async function fourVersions() {
        await apply(1, [kept, goneInTwo, goneInThree]);
        await apply(2, [onlyInTwo, fromTwo], [goneInTwo]);
        await apply(3, [], [onlyInTwo, goneInThree]);
        await apply(4, [late]);
      }

      it('squashes a version into the next one, leaving every other version as it was', async () => {
        await fourVersions();
        const before = { 1: await keysOf(1), 3: await keysOf(3), 4: await keysOf(4) };

        expect(await index.deleteVersion(REPO, 2)).toBe(true);

        expect({ 1: await keysOf(1), 3: await keysOf(3), 4: await keysOf(4) }).toEqual(before);
        expect(await keysOf(3, 'added')).toEqual([fromTwo]);
        expect(await keysOf(3, 'removed')).toEqual(sorted(goneInTwo, goneInThree));
        expect((await index.countSummary(REPO, 3)).blob).toEqual({ present: 2, added: 1, removed: 2 });
        expect(await diffOf(1, 3)).toEqual(
          sortedChanges(
            { key: fromTwo, change: 'added' },
            { key: goneInTwo, change: 'removed' },
            { key: goneInThree, change: 'removed' },
          ),
        );
        await expect(keysOf(2)).rejects.toBeInstanceOf(VersionNotFoundError);
      });

      it('squashes into the next live version when the one after was deleted too', async () => {
        await fourVersions();
        await index.deleteVersion(REPO, 3);

        await index.deleteVersion(REPO, 2);

        expect(await keysOf(4)).toEqual(sorted(kept, fromTwo, late));
        expect(await keysOf(4, 'added')).toEqual(sorted(fromTwo, late));
        expect(await keysOf(4, 'removed')).toEqual(sorted(goneInTwo, goneInThree));
        expect((await index.countSummary(REPO, 4)).blob).toEqual({ present: 3, added: 2, removed: 2 });
      });

      it('drops version 0 when it has a successor', async () => {
        await fourVersions();

        expect(await index.deleteVersion(REPO, 0)).toBe(true);

        await expect(keysOf(0)).rejects.toBeInstanceOf(VersionNotFoundError);
        expect(await keysOf(1)).toEqual(sorted(kept, goneInTwo, goneInThree));
        expect(await keysOf(1, 'added')).toEqual(sorted(kept, goneInTwo, goneInThree));
      });

      it('reports a repeated deletion, and refuses to delete the latest or an unknown version', async () => {
        await fourVersions();
        await index.deleteVersion(REPO, 2);

        expect(await index.deleteVersion(REPO, 2)).toBe(false);
        await expect(index.deleteVersion(REPO, 4)).rejects.toBeInstanceOf(LatestVersionDeletionError);
        await expect(index.deleteVersion(REPO, 9)).rejects.toBeInstanceOf(VersionNotFoundError);
        await expect(index.deleteVersion('no-such-repository', 0)).rejects.toBeInstanceOf(
          VersionNotFoundError,
        );
        expect(await keysOf(4)).toEqual(sorted(kept, fromTwo, late));
      });

      it('applies new versions after deletions as usual', async () => {
        await fourVersions();
        await index.deleteVersion(REPO, 3);

        await apply(5, [onlyInTwo], [kept]);

        expect(await keysOf(5)).toEqual(sorted(fromTwo, late, onlyInTwo));
        expect((await index.countSummary(REPO, 5)).blob).toEqual({ present: 3, added: 1, removed: 1 });
      });

      it('forgets a whole repository, which may then start again from version 1', async () => {
        await fourVersions();
        await apply(1, [kept], [], OTHER_REPO);

        await index.deleteRepository(REPO);

        expect(await index.lastAppliedVersion(REPO)).toBe(0);
        await expect(keysOf(4)).rejects.toBeInstanceOf(VersionNotFoundError);
        expect(await keysOf(1, 'present', OTHER_REPO)).toEqual([kept]);
        expect(await apply(1, [late])).toBe(true);
        expect(await keysOf(1)).toEqual([late]);
      });

      async function diffOf(a: number, b: number) {
        return allPages((page) => index.diff(REPO, a, b, page));
      }
    });

    describe('catalog', () => {
      const catalog = [
        blobUnit('b1'),
        blobUnit('b2'),
        manifestUnit('m1', ['b1', 'b2']),
        manifestUnit('m2', ['b2'], 'application/vnd.docker.distribution.manifest.v2+json'),
        tagUnit('latest', 'm1'),
        tagUnit('latest', 'm2'),
        tagUnit('v1', 'm1'),
      ];

      it('records units once: a second record of a key keeps the first facts and createdAt', async () => {
        await index.recordUnits(catalog);

        await index.recordUnits([{ ...blobUnit('b1'), size: 999, createdAt: RECENTLY }]);

        const [b1] = await index.getUnits([blobKey(digestOf('b1'))]);
        expect(b1).toEqual(blobUnit('b1'));
      });

      it("keeps an on_demand blob's source (remote and upstream name) as recorded", async () => {
        const lazy: CatalogUnit = {
          ...blobUnit('lazy'),
          onDemand: { remoteId: 'remote-1', upstreamName: 'team/app' },
        };
        await index.recordUnits([lazy]);

        expect(await index.getUnits([lazy.key])).toEqual([lazy]);
        expect(await index.findByDigest(lazy.digest)).toEqual([lazy]);
      });

      it('looks units up by key in bulk, in key order, leaving out unknown keys', async () => {
        await index.recordUnits(catalog);
        const wanted = [tagKey('v1', digestOf('m1')), manifestKey(digestOf('m2')), blobKey(digestOf('nope'))];

        const found = await index.getUnits(wanted);

        expect(found).toEqual([catalog[3], catalog[6]]);
      });

      it('finds every unit with a digest: the manifest and the tags pointing at it', async () => {
        await index.recordUnits(catalog);

        expect(await index.findByDigest(digestOf('m1'))).toEqual([catalog[2], catalog[4], catalog[6]]);
        expect(await index.findByDigest(digestOf('b2'))).toEqual([catalog[1]]);
        expect(await index.findByDigest(digestOf('unknown'))).toEqual([]);
      });

      it('lists units by type, digest, tag name and media type, page by page', async () => {
        await index.recordUnits(catalog);

        expect(await listKeys({})).toEqual(sorted(...catalog.map((u) => u.key)));
        expect(await listKeys({ type: 'blob' })).toEqual(sorted(...blobs('b1', 'b2')));
        expect(await listKeys({ digest: digestOf('m1'), type: 'tag' })).toEqual(
          sorted(tagKey('latest', digestOf('m1')), tagKey('v1', digestOf('m1'))),
        );
        expect(await listKeys({ tagName: 'latest' })).toEqual(
          sorted(tagKey('latest', digestOf('m1')), tagKey('latest', digestOf('m2'))),
        );
        expect(await listKeys({ mediaType: 'application/vnd.docker.distribution.manifest.v2+json' })).toEqual(
          [manifestKey(digestOf('m2'))],
        );
        const firstPage = await index.listUnits({}, { limit: 2 });
        expect(firstPage.items).toHaveLength(2);
        expect(firstPage.nextAfterKey).toBe(firstPage.items[1]!.key);
      });

      it('lists the units a repository version holds, added or removed, with the other filters', async () => {
        await index.recordUnits(catalog);
        const [b1, b2] = blobs('b1', 'b2');
        const [m1, m2] = manifests('m1', 'm2');
        const latestM1 = tagKey('latest', digestOf('m1'));
        const latestM2 = tagKey('latest', digestOf('m2'));
        await apply(1, [b1, b2, m1, latestM1]);
        await apply(2, [m2, latestM2], [latestM1]);

        const inVersion = (version: number, membership?: VersionMembership) => ({
          repository: REPO,
          version,
          membership,
        });
        expect(await listKeys({ inVersion: inVersion(1) })).toEqual(sorted(b1, b2, m1, latestM1));
        expect(await listKeys({ inVersion: inVersion(2), type: 'tag' })).toEqual([latestM2]);
        expect(await listKeys({ inVersion: inVersion(2, 'added') })).toEqual(sorted(m2, latestM2));
        expect(await listKeys({ inVersion: inVersion(2, 'removed') })).toEqual([latestM1]);
        expect(await listKeys({ inVersion: inVersion(2), tagName: 'latest' })).toEqual([latestM2]);
        expect(await listKeys({ inVersion: inVersion(1), digest: digestOf('m1') })).toEqual(
          sorted(m1, latestM1),
        );
        await expect(listKeys({ inVersion: inVersion(7) })).rejects.toBeInstanceOf(VersionNotFoundError);
      });

      it('answers what units reference', async () => {
        await index.recordUnits(catalog);

        expect(await index.referencesOf([manifestKey(digestOf('m1')), tagKey('v1', digestOf('m1'))])).toEqual(
          sortedReferences(
            { from: manifestKey(digestOf('m1')), to: blobKey(digestOf('b1')) },
            { from: manifestKey(digestOf('m1')), to: blobKey(digestOf('b2')) },
            { from: tagKey('v1', digestOf('m1')), to: manifestKey(digestOf('m1')) },
          ),
        );
        expect(await index.referencesOf([blobKey(digestOf('b1'))])).toEqual([]);
      });

      async function listKeys(filter: Parameters<ContentIndex['listUnits']>[0]) {
        return allPages(async (page) => {
          const { items, nextAfterKey } = await index.listUnits(filter, page);
          return { items: items.map((unit) => unit.key), nextAfterKey };
        });
      }
    });

    describe('orphans', () => {
      it('lists old units that no live version of any repository holds', async () => {
        const [held, removedLater, onlyInDeleted, inOther, never] = [
          'held',
          'removed',
          'deleted',
          'other',
          'never',
        ];
        await index.recordUnits(
          [held, removedLater, onlyInDeleted, inOther, never].map((name) => blobUnit(name)),
        );
        await index.recordUnits([blobUnit('young', RECENTLY)]);
        await apply(1, blobs(held, removedLater));
        await apply(2, blobs(onlyInDeleted), blobs(removedLater));
        await apply(3, [], blobs(onlyInDeleted));
        await apply(1, blobs(inOther), [], OTHER_REPO);

        expect(await orphanKeys()).toEqual(blobs(never));

        await index.deleteVersion(REPO, 2);
        expect(await orphanKeys()).toEqual(sorted(...blobs(never, onlyInDeleted)));

        await index.deleteVersion(REPO, 1);
        expect(await orphanKeys()).toEqual(sorted(...blobs(never, onlyInDeleted, removedLater)));

        await index.deleteRepository(OTHER_REPO);
        expect(await orphanKeys()).toEqual(sorted(...blobs(never, onlyInDeleted, removedLater, inOther)));
        expect(await orphanKeys(new Date(RECENTLY.replace('2030', '2031')))).toContain(
          blobKey(digestOf('young')),
        );
      });

      it('pages orphans by key', async () => {
        const names = ['o1', 'o2', 'o3', 'o4', 'o5'];
        await index.recordUnits(names.map((name) => blobUnit(name)));

        const first = await index.listOrphans(CUTOFF, 2);
        const rest = await index.listOrphans(CUTOFF, 10, first[1]!.key);

        expect([...first, ...rest].map((u) => u.key)).toEqual(sorted(...blobs(...names)));
        expect(first).toHaveLength(2);
      });

      it('deletes only units that are still orphans, with their references', async () => {
        await index.recordUnits([blobUnit('b1'), manifestUnit('m1', ['b1']), manifestUnit('m2', ['b1'])]);
        const [m1, m2] = manifests('m1', 'm2');
        await apply(1, [m2]);

        const deleted = await index.deleteUnits([m1, m2, blobKey(digestOf('unknown'))]);

        expect(deleted).toEqual([m1]);
        expect((await index.getUnits([m1, m2])).map((u) => u.key)).toEqual([m2]);
        expect(await index.referencesOf([m1, m2])).toEqual([{ from: m2, to: blobKey(digestOf('b1')) }]);
        expect(await index.deleteUnits([m1])).toEqual([]);
      });

      async function orphanKeys(olderThan = CUTOFF) {
        return (await index.listOrphans(olderThan, 100)).map((u) => u.key);
      }
    });

    describe('at scale', () => {
      const CHUNK = 5_000;
      const BLOBS = 100_000;
      const MANIFESTS = 50_000;
      const TAGS = 50_000;

      it('applies a 200,000-unit version in chunks, then answers reads and the next version fast', async () => {
        // The catalog needs only the tags here (the tag page joins them); the version holds all 200k.
        for (const chunk of chunksOf(scaleTagUnits(), CHUNK)) await index.recordUnits(chunk);
        const keyChunks = function* (): Iterable<VersionChunk> {
          for (const added of chunksOf(scaleKeys(), CHUNK)) yield { added, removed: [] };
        };
        expect(await index.applyVersion(REPO, 1, keyChunks())).toBe(true);
        const someManifest = manifestKey(scaleDigest('m', 31_337));

        const present = await timed(() => index.presentAmong(REPO, 1, [someManifest]));
        const tagPage = await timed(() =>
          index.listVersionUnits(REPO, 1, { membership: 'present', type: 'tag', limit: 100 }),
        );
        const tagUnits = await timed(() =>
          index.listUnits({ type: 'tag', inVersion: { repository: REPO, version: 1 } }, { limit: 100 }),
        );
        const newTag = tagKey('fresh', scaleDigest('m', 7));
        const next = await timed(() => apply(2, [newTag]));
        const oldTagPage = await timed(() =>
          index.listVersionUnits(REPO, 1, { membership: 'present', type: 'tag', limit: 100 }),
        );
        const summary = await timed(() => index.countSummary(REPO, 2));

        expect(present.result).toEqual([someManifest]);
        expect(present.ms).toBeLessThan(200);
        expect(tagPage.result.items).toHaveLength(100);
        expect(tagPage.result.items.every((key) => parseUnitKey(key).type === 'tag')).toBe(true);
        expect(tagPage.ms).toBeLessThan(200);
        expect(tagUnits.result.items.map((u) => u.key)).toEqual(tagPage.result.items);
        expect(tagUnits.ms).toBeLessThan(200);
        expect(next.ms).toBeLessThan(500);
        expect(oldTagPage.result.items).toEqual(tagPage.result.items);
        expect(oldTagPage.ms).toBeLessThan(200);
        expect(summary.result.tag).toEqual({ present: TAGS + 1, added: 1, removed: 0 });
        expect(summary.result.blob.present).toBe(BLOBS);
        expect(summary.ms).toBeLessThan(200);
      }, 120_000);

      function* scaleKeys(): Iterable<UnitKey> {
        for (let i = 0; i < BLOBS; i++) yield blobKey(scaleDigest('b', i));
        for (let i = 0; i < MANIFESTS; i++) yield manifestKey(scaleDigest('m', i));
        for (const tag of scaleTagUnits()) yield tag.key;
      }

      function* scaleTagUnits(): Iterable<CatalogUnit> {
        for (let i = 0; i < TAGS; i++) {
          const digest = scaleDigest('m', i);
          yield {
            key: tagKey(`t${i}`, digest),
            type: 'tag',
            digest,
            name: `t${i}`,
            references: [manifestKey(digest)],
            createdAt: LONG_AGO,
          };
        }
      }
    });
  });
}

// ---- fixtures ---------------------------------------------------------------------------------------------

/** A stable, digest-shaped name for a fixture unit (not a hash of anything: the index never checks). */
function digestOf(name: string): string {
  const hex = Buffer.from(name).toString('hex');
  return `sha256:${hex.padStart(64, '0').slice(-64)}`;
}

function scaleDigest(kind: 'b' | 'm', n: number): string {
  return `sha256:${kind === 'b' ? 'b' : 'c'}${n.toString(16).padStart(63, '0')}`;
}

function blobs(...names: string[]): UnitKey[] {
  return names.map((name) => blobKey(digestOf(name)));
}

function manifests(...names: string[]): UnitKey[] {
  return names.map((name) => manifestKey(digestOf(name)));
}

function blobUnit(name: string, createdAt = LONG_AGO): CatalogUnit {
  const digest = digestOf(name);
  return { key: blobKey(digest), type: 'blob', digest, size: name.length * 100, references: [], createdAt };
}

function manifestUnit(
  name: string,
  layers: string[],
  mediaType = 'application/vnd.oci.image.manifest.v1+json',
): CatalogUnit {
  const digest = digestOf(name);
  return {
    key: manifestKey(digest),
    type: 'manifest',
    digest,
    size: 400,
    references: layers.map((layer) => blobKey(digestOf(layer))),
    manifest: {
      mediaType,
      schemaVersion: 2,
      kind: 'image',
      size: 400,
      layerDigests: layers.map(digestOf),
      listed: [],
      annotations: { 'org.opencontainers.image.title': name },
      labels: {},
      os: 'linux',
      architecture: 'amd64',
    },
    createdAt: LONG_AGO,
  };
}

function tagUnit(name: string, manifestName: string): CatalogUnit {
  const digest = digestOf(manifestName);
  return {
    key: tagKey(name, digest),
    type: 'tag',
    digest,
    name,
    references: [manifestKey(digest)],
    createdAt: LONG_AGO,
  };
}

function sorted(...keys: UnitKey[]): UnitKey[] {
  return [...keys].sort();
}

function sortedChanges<T extends { key: UnitKey }>(...changes: T[]): T[] {
  return [...changes].sort((x, y) => (x.key < y.key ? -1 : 1));
}

function sortedReferences<T extends { from: UnitKey; to: UnitKey }>(...references: T[]): T[] {
  return [...references].sort((x, y) => (x.from + '\n' + x.to < y.from + '\n' + y.to ? -1 : 1));
}

/** Follows nextAfterKey through every page, with a small page size so that paging itself is exercised. */
async function allPages<T>(fetchPage: (page: PageRequest) => Promise<Page<T>>): Promise<T[]> {
  const all: T[] = [];
  let afterKey: UnitKey | undefined;
  do {
    const page = await fetchPage({ afterKey, limit: 2 });
    all.push(...page.items);
    afterKey = page.nextAfterKey;
  } while (afterKey !== undefined);
  return all;
}

function* chunksOf<T>(items: Iterable<T>, size: number): Iterable<T[]> {
  let chunk: T[] = [];
  for (const item of items) {
    chunk.push(item);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length) yield chunk;
}

async function timed<T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await run();
  return { result, ms: performance.now() - started };
}
