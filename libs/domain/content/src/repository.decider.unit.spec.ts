import { createHash } from 'node:crypto';
import { blobKey, manifestKey, tagKey, type UnitKey } from '@wharf/contracts';
import { describe, expect, it } from 'vitest';
import {
  CHUNK_SIZE,
  collectCommittedChanges,
  CorruptStreamError,
  decide,
  InconsistentChangeError,
  InvalidRepositoryError,
  InvalidUnitKeyError,
  isRepositoryEvent,
  LatestVersionDeletionError,
  NO_UNITS,
  RepositoryAlreadyExistsError,
  RepositoryNotFoundError,
  replay,
  StaleChangeError,
  VersionNotFoundError,
  type ContentSummary,
  type RecordVersion,
  type RepositoryCommand,
  type RepositoryEvent,
  type RepositoryEventOf,
  type UnitCounts,
} from './index.js';

// ---- given / when / then ----------------------------------------------------------------------------

/** An expected failure: the error's class and message must match exactly. */
type Expected = readonly RepositoryEvent[] | Error;

function given(...history: RepositoryEvent[]) {
  const state = replay(history);
  return {
    state,
    when(command: RepositoryCommand) {
      let outcome: { events: RepositoryEvent[] } | { error: unknown };
      try {
        outcome = { events: decide(command, state) };
      } catch (error) {
        outcome = { error };
      }
      return {
        then(expected: Expected): RepositoryEvent[] {
          if (expected instanceof Error) {
            if (!('error' in outcome))
              throw new Error(`expected ${expected.name}, got ${outcome.events.length} events`);
            expect(outcome.error).toBeInstanceOf(expected.constructor);
            expect((outcome.error as Error).message).toBe(expected.message);
            return [];
          }
          if ('error' in outcome) throw outcome.error;
          expect(outcome.events).toEqual(expected);
          return outcome.events;
        },
        /** For outcomes too large to spell out: returns the events to inspect. */
        thenEvents(): RepositoryEvent[] {
          if ('error' in outcome) throw outcome.error;
          return outcome.events;
        },
      };
    },
  };
}

// ---- fixtures -----------------------------------------------------------------------------------

const repositoryId = 'repo-1';
const T0 = '2025-01-01T00:00:00.000Z';
const T1 = '2025-01-02T00:00:00.000Z';
const T2 = '2025-01-03T00:00:00.000Z';

const digestOf = (label: string) => `sha256:${createHash('sha256').update(label).digest('hex')}`;
const blob = (label: string) => blobKey(digestOf(label));
const manifest = (label: string) => manifestKey(digestOf(label));
const tag = (name: string, manifestLabel: string) => tagKey(name, digestOf(manifestLabel));
const counts = (blobs: number, manifests: number, tags: number): UnitCounts => ({
  blob: blobs,
  manifest: manifests,
  tag: tags,
});

const created: RepositoryEvent = {
  type: 'RepositoryCreated',
  data: {
    repositoryId,
    name: 'alpine',
    description: null,
    retainRepoVersions: null,
    remote: null,
    createdAt: T0,
  },
};

function recordVersion(
  overrides: Partial<RecordVersion> & Pick<RecordVersion, 'expectedLatestVersion'>,
): RecordVersion {
  return {
    type: 'RecordVersion',
    repositoryId,
    changeId: 'change-1',
    baseVersion: null,
    added: [],
    removed: [],
    present: NO_UNITS,
    at: T1,
    ...overrides,
  };
}

/** The events of a committed version that added `added` to an empty repository (for given()). */
function versionEvents(
  version: number,
  added: UnitKey[],
  present: UnitCounts,
  changeId = `change-v${version}`,
): [RepositoryEventOf<'VersionContentAdded'>, RepositoryEventOf<'RepositoryVersionCreated'>] {
  const summary: ContentSummary = { added: present, removed: NO_UNITS, present };
  return [
    { type: 'VersionContentAdded', data: { changeId, version, units: added } },
    {
      type: 'RepositoryVersionCreated',
      data: { changeId, version, baseVersion: null, chunks: 1, summary, createdAt: T1 },
    },
  ];
}

const image = [blob('config'), blob('layer'), manifest('image'), tag('latest', 'image')];

// ---- repositories -------------------------------------------------------------------------------

describe('CreateRepository', () => {
  it('given no repository, when created, then RepositoryCreated records its settings with defaults', () => {
    given().when({ type: 'CreateRepository', repositoryId, name: 'alpine', at: T0 }).then([created]);
  });

  it('given a created repository, then it exists with an empty version 0 as its latest', () => {
    const { state } = given(created);

    expect(state).toMatchObject({ exists: true, deleted: false, name: 'alpine', latestVersion: 0 });
    expect(state.versions).toEqual([{ number: 0, baseVersion: null, present: NO_UNITS, createdAt: T0 }]);
  });

  it('given an existing repository, when created again, then it is a conflict', () => {
    given(created)
      .when({ type: 'CreateRepository', repositoryId, name: 'other', at: T1 })
      .then(new RepositoryAlreadyExistsError(repositoryId));
  });

  it('given a blank name or a retention below 1, then the fields at fault are named', () => {
    given()
      .when({ type: 'CreateRepository', repositoryId, name: '  ', retainRepoVersions: 0, at: T0 })
      .then(
        new InvalidRepositoryError({
          name: ['This field may not be blank.'],
          retain_repo_versions: ['Ensure this value is a whole number greater than or equal to 1.'],
        }),
      );
  });

  it('given a command without a name, then the name is required', () => {
    const command = { type: 'CreateRepository', repositoryId, at: T0 } as unknown as RepositoryCommand;

    given()
      .when(command)
      .then(new InvalidRepositoryError({ name: ['This field is required.'] }));
  });
});

describe('UpdateRepository', () => {
  it('given a repository, when its description changes, then only the changed field is recorded', () => {
    given(created)
      .when({
        type: 'UpdateRepository',
        repositoryId,
        changes: { name: 'alpine', description: 'mirror' },
        at: T1,
      })
      .then([{ type: 'RepositoryUpdated', data: { changes: { description: 'mirror' }, updatedAt: T1 } }]);
  });

  it('given an update that changes nothing, then nothing is recorded', () => {
    given(created)
      .when({ type: 'UpdateRepository', repositoryId, changes: { name: 'alpine', remote: null }, at: T1 })
      .then([]);
  });

  it('given fields that are not settings, then they are ignored rather than corrupting the state', () => {
    const changes = { exists: false, latestVersion: 9 } as unknown as Record<string, never>;

    given(created).when({ type: 'UpdateRepository', repositoryId, changes, at: T1 }).then([]);
  });

  it('given four versions, when retention drops to 2, then the two oldest versions are deleted', () => {
    const history = [
      created,
      ...versionEvents(1, [blob('a')], counts(1, 0, 0)),
      ...versionEvents(2, [blob('b')], counts(2, 0, 0)),
      ...versionEvents(3, [blob('c')], counts(3, 0, 0)),
    ];

    const events = given(...history)
      .when({ type: 'UpdateRepository', repositoryId, changes: { retainRepoVersions: 2 }, at: T2 })
      .then([
        { type: 'RepositoryUpdated', data: { changes: { retainRepoVersions: 2 }, updatedAt: T2 } },
        { type: 'RepositoryVersionDeleted', data: { version: 0, deletedAt: T2 } },
        { type: 'RepositoryVersionDeleted', data: { version: 1, deletedAt: T2 } },
      ]);

    const { state } = given(...history, ...events);
    expect(state.retainRepoVersions).toBe(2);
    expect(state.versions.map((version) => version.number)).toEqual([2, 3]);
  });

  it('given no repository, then it is not found', () => {
    given()
      .when({ type: 'UpdateRepository', repositoryId, changes: { description: 'x' }, at: T1 })
      .then(new RepositoryNotFoundError(repositoryId));
  });
});

describe('DeleteRepository', () => {
  it('given a repository, when deleted, then it is gone for later commands', () => {
    const deleted = given(created)
      .when({ type: 'DeleteRepository', repositoryId, at: T1 })
      .then([{ type: 'RepositoryDeleted', data: { deletedAt: T1 } }]);

    expect(given(created, ...deleted).state.deleted).toBe(true);
    given(created, ...deleted)
      .when({ type: 'DeleteRepository', repositoryId, at: T2 })
      .then(new RepositoryNotFoundError(repositoryId));
    given(created, ...deleted)
      .when(recordVersion({ expectedLatestVersion: 0, added: [blob('a')], present: counts(1, 0, 0) }))
      .then(new RepositoryNotFoundError(repositoryId));
  });
});

// ---- versions -----------------------------------------------------------------------------------

describe('RecordVersion', () => {
  it('given an empty repository, when an image is added, then its units are recorded and committed as version 1', () => {
    given(created)
      .when(recordVersion({ expectedLatestVersion: 0, added: image, present: counts(2, 1, 1) }))
      .then([
        { type: 'VersionContentAdded', data: { changeId: 'change-1', version: 1, units: image } },
        {
          type: 'RepositoryVersionCreated',
          data: {
            changeId: 'change-1',
            version: 1,
            baseVersion: null,
            chunks: 1,
            summary: { added: counts(2, 1, 1), removed: NO_UNITS, present: counts(2, 1, 1) },
            createdAt: T1,
          },
        },
      ]);
  });

  it('given 12,001 added keys, then they are chunked into 3 content events of at most 5,000 and 1 commit', () => {
    const keys = Array.from({ length: 12_001 }, (_, index) => blob(`layer-${index}`));

    const events = given(created)
      .when(recordVersion({ expectedLatestVersion: 0, added: keys, present: counts(12_001, 0, 0) }))
      .thenEvents();

    expect(events.map((event) => event.type)).toEqual([
      'VersionContentAdded',
      'VersionContentAdded',
      'VersionContentAdded',
      'RepositoryVersionCreated',
    ]);
    const units = events.flatMap((event) => (event.type === 'VersionContentAdded' ? [event.data.units] : []));
    expect(units.map((chunk) => chunk.length)).toEqual([CHUNK_SIZE, CHUNK_SIZE, 2_001]);
    expect(units.flat()).toEqual(keys);
    expect(events[3]).toMatchObject({
      data: { chunks: 3, version: 1, summary: { present: counts(12_001, 0, 0) } },
    });
    expect(Buffer.byteLength(JSON.stringify(events[0]))).toBeLessThan(1024 * 1024);
  });

  it('given a version, when units are added and removed, then added chunks come before removed ones and counts add up', () => {
    given(created, ...versionEvents(1, image, counts(2, 1, 1)))
      .when(
        recordVersion({
          changeId: 'change-2',
          expectedLatestVersion: 1,
          baseVersion: 1,
          added: [tag('stable', 'image')],
          removed: [tag('latest', 'image')],
          present: counts(2, 1, 1),
          at: T2,
        }),
      )
      .then([
        {
          type: 'VersionContentAdded',
          data: { changeId: 'change-2', version: 2, units: [tag('stable', 'image')] },
        },
        {
          type: 'VersionContentRemoved',
          data: { changeId: 'change-2', version: 2, units: [tag('latest', 'image')] },
        },
        {
          type: 'RepositoryVersionCreated',
          data: {
            changeId: 'change-2',
            version: 2,
            baseVersion: 1,
            chunks: 2,
            summary: { added: counts(0, 0, 1), removed: counts(0, 0, 1), present: counts(2, 1, 1) },
            createdAt: T2,
          },
        },
      ]);
  });

  it('given a change that adds and removes nothing, then no version is created', () => {
    given(created, ...versionEvents(1, image, counts(2, 1, 1)))
      .when(recordVersion({ expectedLatestVersion: 1, present: counts(2, 1, 1) }))
      .then([]);
  });

  it('given a change planned against an older latest version, then it is refused as stale', () => {
    given(created, ...versionEvents(1, image, counts(2, 1, 1)))
      .when(recordVersion({ expectedLatestVersion: 0, added: [blob('x')], present: counts(1, 0, 0) }))
      .then(new StaleChangeError(repositoryId, 0, 1));
  });

  it('given a base version that is not live, then the version is not found', () => {
    given(created)
      .when(
        recordVersion({
          expectedLatestVersion: 0,
          baseVersion: 4,
          added: [blob('x')],
          present: counts(1, 0, 0),
        }),
      )
      .then(new VersionNotFoundError(repositoryId, 4));
  });

  it('given present counts that do not add up, then the change is refused as inconsistent', () => {
    given(created, ...versionEvents(1, image, counts(2, 1, 1)))
      .when(recordVersion({ expectedLatestVersion: 1, added: [blob('x')], present: counts(2, 1, 1) }))
      .then(
        new InconsistentChangeError(
          repositoryId,
          'version 1 + this change has 3 blobs, 1 manifests, 1 tags, but 2 blobs, 1 manifests, 1 tags were announced',
        ),
      );
  });

  it('given a key both added and removed, then the change is refused as inconsistent', () => {
    given(created, ...versionEvents(1, image, counts(2, 1, 1)))
      .when(
        recordVersion({
          expectedLatestVersion: 1,
          added: [blob('layer')],
          removed: [blob('layer')],
          present: counts(2, 1, 1),
        }),
      )
      .then(new InconsistentChangeError(repositoryId, `${blob('layer')} is added and removed`));
  });

  it('given a malformed unit key, then the key is named', () => {
    given(created)
      .when(recordVersion({ expectedLatestVersion: 0, added: ['blob:sha256:abc'], present: counts(1, 0, 0) }))
      .then(new InvalidUnitKeyError('blob:sha256:abc', 'sha256:abc is not a digest'));
  });

  it('given retention of 2, when version 2 is recorded, then the commit is followed by deleting version 0', () => {
    const retained: RepositoryEvent = {
      ...created,
      data: { ...created.data, retainRepoVersions: 2 },
    } as RepositoryEvent;

    const events = given(retained, ...versionEvents(1, [blob('a')], counts(1, 0, 0)))
      .when(recordVersion({ expectedLatestVersion: 1, added: [blob('b')], present: counts(2, 0, 0), at: T2 }))
      .thenEvents();

    expect(events.map((event) => event.type)).toEqual([
      'VersionContentAdded',
      'RepositoryVersionCreated',
      'RepositoryVersionDeleted',
    ]);
    expect(events[2]).toEqual({ type: 'RepositoryVersionDeleted', data: { version: 0, deletedAt: T2 } });
    const state = replay(events, given(retained, ...versionEvents(1, [blob('a')], counts(1, 0, 0))).state);
    expect(state.versions.map((version) => version.number)).toEqual([1, 2]);
    expect(state.latestVersion).toBe(2);
  });
});

describe('DeleteVersion', () => {
  const history = [
    created,
    ...versionEvents(1, [blob('a')], counts(1, 0, 0)),
    ...versionEvents(2, [blob('b')], counts(2, 0, 0)),
  ];

  it('given an older version, when deleted, then it is no longer live', () => {
    const events = given(...history)
      .when({ type: 'DeleteVersion', repositoryId, version: 1, at: T2 })
      .then([{ type: 'RepositoryVersionDeleted', data: { version: 1, deletedAt: T2 } }]);

    expect(given(...history, ...events).state.versions.map((version) => version.number)).toEqual([0, 2]);
  });

  it('given the latest version, then it cannot be deleted', () => {
    given(...history)
      .when({ type: 'DeleteVersion', repositoryId, version: 2, at: T2 })
      .then(new LatestVersionDeletionError(repositoryId, 2));
  });

  it('given an unknown or already deleted version, then it is not found', () => {
    given(...history)
      .when({ type: 'DeleteVersion', repositoryId, version: 7, at: T2 })
      .then(new VersionNotFoundError(repositoryId, 7));
    given(...history, { type: 'RepositoryVersionDeleted', data: { version: 0, deletedAt: T2 } })
      .when({ type: 'DeleteVersion', repositoryId, version: 0, at: T2 })
      .then(new VersionNotFoundError(repositoryId, 0));
  });
});

// ---- reading committed versions -----------------------------------------------------------------

describe('collectCommittedChanges', () => {
  it('given chunks of a crashed change before a committed one, then only the committed change is read', () => {
    const orphan: RepositoryEvent = {
      type: 'VersionContentAdded',
      data: { changeId: 'crashed', version: 1, units: [blob('orphan')] },
    };

    const committed = collectCommittedChanges([
      created,
      orphan,
      ...versionEvents(1, image, counts(2, 1, 1), 'retry'),
    ]);

    expect(committed).toEqual([
      {
        changeId: 'retry',
        version: 1,
        baseVersion: null,
        added: image,
        removed: [],
        summary: { added: counts(2, 1, 1), removed: NO_UNITS, present: counts(2, 1, 1) },
        createdAt: T1,
      },
    ]);
  });

  it('given a trailing change without commit, then it is not a version', () => {
    const tail: RepositoryEvent = {
      type: 'VersionContentAdded',
      data: { changeId: 'x', version: 2, units: [blob('z')] },
    };

    expect(
      collectCommittedChanges([created, ...versionEvents(1, image, counts(2, 1, 1)), tail]).map(
        (c) => c.version,
      ),
    ).toEqual([1]);
  });

  it('given decided events of a large change, then reading them back yields the same keys', () => {
    const added = Array.from({ length: 12_001 }, (_, index) => blob(`l-${index}`));
    const history = [created, ...versionEvents(1, image, counts(2, 1, 1))];
    const events = given(...history)
      .when(
        recordVersion({
          changeId: 'big',
          expectedLatestVersion: 1,
          added,
          removed: [tag('latest', 'image')],
          present: counts(12_003, 1, 0),
        }),
      )
      .thenEvents();

    const [, second] = collectCommittedChanges([...history, ...events]);

    expect(second).toMatchObject({ changeId: 'big', version: 2, removed: [tag('latest', 'image')] });
    expect(second!.added).toEqual(added);
  });

  it('given a commit announcing more chunks than precede it, then the stream is reported corrupt', () => {
    const [chunk, commit] = versionEvents(1, image, counts(2, 1, 1));
    const broken: RepositoryEvent = { ...commit, data: { ...commit.data, chunks: 2 } };

    expect(() => collectCommittedChanges([created, chunk, broken])).toThrow(CorruptStreamError);
    expect(() => collectCommittedChanges([created, chunk, broken])).toThrow(
      /announces 2 chunks, but 1 precede it/,
    );
  });

  it("given events read from the store, then repository events are told apart from other streams' events", () => {
    expect(isRepositoryEvent({ type: 'RepositoryVersionCreated', data: {} })).toBe(true);
    expect(isRepositoryEvent({ type: 'TaskCreated', data: {} })).toBe(false);
  });
});
