import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import type { CatalogUnit, RepositoryView } from '@wharf/contracts';
import type { Env } from '@wharf/runtime';
import { ContentHarness } from './testing/content-service.harness.js';
import type { VersionProtection } from './version-protection.js';

const WRITERS = 50;

async function distinctBlobs(content: ContentHarness, count: number): Promise<CatalogUnit[]> {
  const salt = randomBytes(8).toString('hex');
  return Promise.all(Array.from({ length: count }, (_, i) => content.storeBlob(Buffer.from(`${salt}-${i}`))));
}

/** Every writer's change is in the latest version, and each version added exactly one of them. */
async function expectEveryChangeKept(
  content: ContentHarness,
  repository: RepositoryView,
  units: CatalogUnit[],
) {
  const versions = await content.ask('content.version.list', {
    repositoryId: repository.id,
    offset: 0,
    limit: 100,
  });
  expect(versions.count).toBe(units.length + 1);
  expect(versions.results.map((version) => version.number)).toEqual(
    Array.from({ length: units.length + 1 }, (_, i) => units.length - i),
  );
  for (const version of versions.results.filter((candidate) => candidate.number > 0)) {
    expect(version.contentSummary.added.blob, `version ${version.number}`).toBe(1);
    expect(version.contentSummary.present.blob, `version ${version.number}`).toBe(version.number);
  }
  expect(await content.versionKeys(repository.id, units.length)).toEqual(
    units.map((unit) => unit.key).sort(),
  );
}

function concurrentModifiesKeepEveryChange(
  adapters: string,
  env: () => Env,
  dropData?: (env: Env) => Promise<void>,
) {
  describe(`concurrent writers on ${adapters}`, () => {
    let content: ContentHarness;
    let settings: Env;

    afterEach(async () => {
      await content.close();
      await dropData?.(settings);
    });

    it(`turns ${WRITERS} concurrent modify calls on one repository into ${WRITERS} versions`, async () => {
      settings = env();
      content = await ContentHarness.start({ env: settings });
      const repository = await content.createRepository('contended');
      const units = await distinctBlobs(content, WRITERS);

      const results = await Promise.all(
        units.map((unit) =>
          content.ask('content.version.modify', { repositoryId: repository.id, add: [unit.key] }),
        ),
      );

      expect(results.every((result) => result.created)).toBe(true);
      expect(new Set(results.map((result) => result.version.number)).size).toBe(WRITERS);
      await expectEveryChangeKept(content, repository, units);
    });
  });
}

concurrentModifiesKeepEveryChange('SQLite (event store and content index)', () => ({}));

describe.skipIf(!process.env.MONGODB_URL)('with MongoDB', () => {
  concurrentModifiesKeepEveryChange(
    'MongoDB (event store and content index)',
    () => ({
      WHARF_EVENT_STORE: 'mongodb',
      MONGODB_URL: process.env.MONGODB_URL,
      MONGODB_DATABASE: `wharf_test_${randomBytes(6).toString('hex')}`,
    }),
    async (settings) => {
      const client = await MongoClient.connect(settings.MONGODB_URL!);
      try {
        // The content service keeps its event store and content index in `<database>_content`.
        await client.db(`${settings.MONGODB_DATABASE}_content`).dropDatabase();
      } finally {
        await client.close();
      }
    },
  );
});

describe('writers that do not share a repository', () => {
  let content: ContentHarness;

  afterEach(async () => {
    await content.close();
  });

  it('lets a write on one repository finish while a write on another is still in progress', async () => {
    let slowRepository = '';
    let slowWriteStarted!: () => void;
    const started = new Promise<void>((resolve) => (slowWriteStarted = resolve));
    let finishSlowWrite!: () => void;
    const finish = new Promise<void>((resolve) => (finishSlowWrite = resolve));
    // The hook every version write consults; here it stands for whatever makes a write on one repository slow.
    const protection: VersionProtection = {
      protectedVersions: async (repositoryId) => {
        if (repositoryId === slowRepository) {
          slowWriteStarted();
          await finish;
        }
        return new Set();
      },
    };
    content = await ContentHarness.start({ versionProtection: protection });
    const [slow, fast] = [await content.createRepository('slow'), await content.createRepository('fast')];
    slowRepository = slow.id;
    const [slowUnit, fastUnit] = await distinctBlobs(content, 2);

    const slowWrite = content.ask('content.version.add', { repositoryId: slow.id, units: [slowUnit!.key] });
    await started;
    const fastWrite = await content.ask('content.version.add', {
      repositoryId: fast.id,
      units: [fastUnit!.key],
    });

    expect(fastWrite.version.number).toBe(1);
    expect((await content.ask('content.repository.get', { id: slow.id })).latestVersion).toBe(0);
    finishSlowWrite();
    expect((await slowWrite).version.number).toBe(1);
  });
});

describe('two content service processes on the same data', () => {
  const instances: ContentHarness[] = [];

  afterEach(async () => {
    const [first, second] = instances.splice(0);
    await second?.app.close();
    await first?.close();
  });

  it('lose no update when both write one repository at once', async () => {
    const first = await ContentHarness.start();
    instances.push(first);
    const second = await ContentHarness.start({ dataDir: first.dataDir });
    instances.push(second);
    const repository = await first.createRepository('shared');
    const units = await distinctBlobs(first, 16);

    await Promise.all(
      units.map((unit, i) =>
        (i % 2 === 0 ? first : second).ask('content.version.add', {
          repositoryId: repository.id,
          units: [unit.key],
        }),
      ),
    );

    await expectEveryChangeKept(first, repository, units);
  });
});
