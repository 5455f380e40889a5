import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { manifestKey, tagKey, type RepositoryView, type UnitKey } from '@wharf/contracts';
import { blobsOf, manifestsOf, randomImage, type FixtureManifest } from '@wharf/testing';
import { ContentHarness } from './testing/content-service.harness.js';
import { VersionIndexProjection } from './version-index.projection.js';
import type { VersionProtection } from './version-protection.js';

const HOUR_MS = 3_600_000;

describe('repository version lifecycle (content service, embedded adapters)', () => {
  let content: ContentHarness;

  afterEach(async () => {
    await content.close();
  });

  async function record(...fixtures: FixtureManifest[]): Promise<void> {
    for (const fixture of fixtures) {
      for (const blob of blobsOf(fixture)) await content.storeBlob(blob.bytes);
      for (const manifest of manifestsOf(fixture)) await content.recordManifest(manifest.bytes);
    }
  }

  const add = (repository: RepositoryView, units: UnitKey[]) =>
    content.ask('content.version.add', { repositoryId: repository.id, units });
  const liveVersions = async (repository: RepositoryView) =>
    (
      await content.ask('content.version.list', { repositoryId: repository.id, offset: 0, limit: 100 })
    ).results.map((version) => version.number);

  describe('retention', () => {
    const protectedVersions = new Map<string, Set<number>>();
    const protection: VersionProtection = {
      protectedVersions: async (repositoryId) => protectedVersions.get(repositoryId) ?? new Set(),
    };

    beforeEach(async () => {
      protectedVersions.clear();
      content = await ContentHarness.start({ versionProtection: protection });
    });

    it('keeps the newest N versions, and the versions they keep still hold their content', async () => {
      const repository = await content.createRepository('retained', 2);
      const images = Array.from({ length: 4 }, () => randomImage());
      await record(...images);
      for (const [i, image] of images.entries()) await add(repository, [tagKey(`v${i}`, image.digest)]);
      const v3Before = images.slice(0, 3).map((image, i) => tagKey(`v${i}`, image.digest));

      expect(await liveVersions(repository)).toEqual([4, 3]);
      expect(await content.versionKeys(repository.id, 3, 'present', 'tag')).toEqual(v3Before.sort());
      expect(await content.versionKeys(repository.id, 4, 'added', 'tag')).toEqual([
        tagKey('v3', images[3]!.digest),
      ]);
      await expect(
        content.ask('content.version.get', { repositoryId: repository.id, version: 2 }),
      ).rejects.toMatchObject({ remoteName: 'NotFoundError', message: expect.stringContaining('version 2') });
    });

    it('never prunes a version a publication or distribution serves, and refuses to delete it', async () => {
      const repository = await content.createRepository('protected', 2);
      protectedVersions.set(repository.id, new Set([1]));
      const images = Array.from({ length: 5 }, () => randomImage({ layers: 1 }));
      await record(...images);
      for (const [i, image] of images.slice(0, 4).entries())
        await add(repository, [tagKey(`v${i}`, image.digest)]);

      expect(await liveVersions(repository)).toEqual([4, 3, 1]);
      await expect(
        content.ask('content.version.delete', { repositoryId: repository.id, version: 1 }),
      ).rejects.toMatchObject({
        remoteName: 'ConflictError',
        message: `version 1 of repository ${repository.id} is in use by a publication or distribution`,
      });

      protectedVersions.delete(repository.id);
      await add(repository, [manifestKey(images[4]!.digest)]);
      expect(await liveVersions(repository)).toEqual([5, 4]);
    });

    it('deletes an old version on request, but never the latest', async () => {
      const repository = await content.createRepository('deleting');
      const [a, b] = [randomImage(), randomImage()];
      await record(a, b);
      await add(repository, [tagKey('a', a.digest)]);
      await add(repository, [tagKey('b', b.digest)]);
      const latestBefore = await content.versionKeys(repository.id, 2);

      expect(
        await content.ask('content.version.delete', { repositoryId: repository.id, version: 1 }),
      ).toEqual({
        repositoryId: repository.id,
        version: 1,
      });

      expect(await liveVersions(repository)).toEqual([2, 0]);
      expect(await content.versionKeys(repository.id, 2)).toEqual(latestBefore);
      await expect(
        content.ask('content.version.delete', { repositoryId: repository.id, version: 2 }),
      ).rejects.toMatchObject({
        remoteName: 'ConflictError',
        message: expect.stringContaining('latest version'),
      });
      await expect(
        content.ask('content.version.delete', { repositoryId: repository.id, version: 1 }),
      ).rejects.toMatchObject({ remoteName: 'NotFoundError' });
    });
  });

  describe('orphan cleanup', () => {
    beforeEach(async () => {
      content = await ContentHarness.start();
    });

    it('deletes units no version holds, with their bytes, and keeps units in use and young ones', async () => {
      const repository = await content.createRepository('cleanup');
      const [used, unused] = [randomImage(), randomImage()];
      await record(used, unused);
      await add(repository, [tagKey('used', used.digest)]);
      await sleep(5);

      const young = await content.ask('content.orphans.cleanup', { protectionTimeMs: HOUR_MS });
      expect(young).toEqual({ deleted: { blob: 0, manifest: 0, tag: 0 }, blobsRemoved: 0 });

      const result = await content.ask('content.orphans.cleanup', { protectionTimeMs: 0 });

      expect(result).toEqual({ deleted: { blob: 3, manifest: 1, tag: 0 }, blobsRemoved: 4 });
      for (const digest of [unused.digest, ...blobsOf(unused).map((blob) => blob.digest)]) {
        expect(await content.blobs.stat(digest), digest).toBeUndefined();
      }
      expect(await content.index.getUnits([manifestKey(unused.digest)])).toEqual([]);
      for (const digest of [used.digest, ...blobsOf(used).map((blob) => blob.digest)]) {
        expect(await content.blobs.stat(digest), digest).toBeDefined();
      }
    });

    it('keeps what an older live version holds, and frees it once retention deletes that version', async () => {
      const repository = await content.createRepository('history', 2);
      const [old, current] = [randomImage({ layers: 1 }), randomImage({ layers: 1 })];
      await record(old, current);
      await add(repository, [tagKey('old', old.digest)]);
      await content.ask('content.version.modify', {
        repositoryId: repository.id,
        remove: '*',
        add: [tagKey('current', current.digest)],
      });
      await sleep(5);

      const whileKept = await content.ask('content.orphans.cleanup', { protectionTimeMs: 0 });
      expect(whileKept.deleted).toEqual({ blob: 0, manifest: 0, tag: 0 });

      await content.ask('content.version.untag', { repositoryId: repository.id, tag: 'current' });
      const afterRetention = await content.ask('content.orphans.cleanup', { protectionTimeMs: 0 });
      // Version 1 (the old image and its tag) went; 'current' is still in version 2.
      expect(afterRetention.deleted).toEqual({ blob: 2, manifest: 1, tag: 1 });
      expect(await content.blobs.stat(old.digest)).toBeUndefined();
      expect(await content.blobs.stat(current.digest)).toBeDefined();
    });

    it('keeps an old orphan that a sync has just recorded again, so the sync can still add it', async () => {
      const [resynced, forgotten] = [Buffer.from('resynced layer'), Buffer.from('forgotten layer')];
      const unit = await content.storeBlob(resynced);
      await content.storeBlob(forgotten);
      await sleep(400);
      await content.ask('content.blob.record', { digest: unit.digest, size: unit.size! });

      const result = await content.ask('content.orphans.cleanup', { protectionTimeMs: 200 });

      expect(result.deleted.blob).toBe(1);
      expect(await content.blobs.stat(unit.digest)).toBeDefined();
      const repository = await content.createRepository('resync');
      expect((await add(repository, [unit.key])).created).toBe(true);
    });
  });

  describe('crash safety and restarts', () => {
    beforeEach(async () => {
      content = await ContentHarness.start();
    });

    it('ignores content chunks whose commit never came, and the next change works', async () => {
      const repository = await content.createRepository('crashed');
      const [kept, next] = [randomImage(), randomImage()];
      await record(kept, next);
      await add(repository, [tagKey('kept', kept.digest)]);
      const strayBlob = await content.storeBlob(Buffer.from('written by a writer that crashed'));

      // A writer that died after appending a chunk of version 2 and before its commit.
      const { lastGlobalPosition } = await content.store.append(
        `repository-${repository.id}`,
        [
          {
            id: randomUUID(),
            type: 'VersionContentAdded',
            data: { changeId: randomUUID(), version: 2, units: [strayBlob.key] },
          },
        ],
        'any',
      );
      await content.app.get(VersionIndexProjection).caughtUp(lastGlobalPosition);

      expect(await liveVersions(repository)).toEqual([1, 0]);
      expect((await content.ask('content.repository.get', { id: repository.id })).latestVersion).toBe(1);
      expect(await content.index.lastAppliedVersion(repository.id)).toBe(1);

      const result = await add(repository, [tagKey('next', next.digest)]);

      expect(result.version.number).toBe(2);
      expect(await content.versionKeys(repository.id, 2, 'added')).not.toContain(strayBlob.key);
      expect(result.version.contentSummary.added).toEqual({ tag: 1, manifest: 1, blob: 3 });
    });

    it('keeps every version across a restart and numbers the next one after them', async () => {
      const repository = await content.createRepository('restarted');
      const [a, b] = [randomImage(), randomImage()];
      await record(a, b);
      await add(repository, [tagKey('a', a.digest)]);
      const before = await content.versionKeys(repository.id, 1);

      content = await content.restart();

      expect(await content.versionKeys(repository.id, 1)).toEqual(before);
      expect((await add(repository, [tagKey('b', b.digest)])).version.number).toBe(2);
    });

    it('rebuilds the versions of a repository from its stream when the version index was lost', async () => {
      const repository = await content.createRepository('rebuilt');
      const [a, b] = [randomImage(), randomImage()];
      await record(a, b);
      await add(repository, [tagKey('a', a.digest)]);
      await add(repository, [tagKey('b', b.digest)]);
      await content.ask('content.version.delete', { repositoryId: repository.id, version: 1 });
      const before = await content.versionKeys(repository.id, 2);
      const addedBefore = await content.versionKeys(repository.id, 2, 'added');

      await content.app.close();
      for (const suffix of ['', '-wal', '-shm'])
        rmSync(join(content.dataDir, `content-index.sqlite${suffix}`), { force: true });
      content = await ContentHarness.start({ dataDir: content.dataDir });

      expect(await content.versionKeys(repository.id, 2)).toEqual(before);
      expect(await liveVersions(repository)).toEqual([2, 0]);
      // Version 1 was squashed into version 2 before the loss, and is again in the rebuild.
      expect(await content.versionKeys(repository.id, 2, 'added')).toEqual(addedBefore);
      expect(addedBefore).toEqual(before);
    });
  });
});
