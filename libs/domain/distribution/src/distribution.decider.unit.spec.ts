import { describe, expect, it } from 'vitest';
import type { DistributionFields } from '@wharf/contracts';
import {
  basePathsOverlap,
  decideDistribution,
  DistributionAlreadyExistsError,
  DistributionNotFoundError,
  evolveDistribution,
  InvalidDistributionError,
  type Distribution,
  type DistributionCommand,
  type DistributionEvent,
  type DistributionSummary,
} from './index.js';

const AT = '2026-12-04T12:00:00.000Z';
const LATER = '2026-12-04T13:00:00.000Z';

const created: DistributionEvent = {
  type: 'DistributionCreated',
  data: {
    distributionId: 'd1',
    name: 'app',
    basePath: 'team/app',
    target: { kind: 'repository', repositoryId: 'r1' },
    private: false,
    hidden: false,
    description: null,
    pulpLabels: {},
    createdAt: AT,
  },
};

const create = (fields: DistributionFields): DistributionCommand => ({
  type: 'CreateDistribution',
  distributionId: 'd1',
  fields,
  others: [],
  at: AT,
});
const update = (fields: DistributionFields): DistributionCommand => ({
  type: 'UpdateDistribution',
  distributionId: 'd1',
  fields,
  others: [],
  at: LATER,
});
const remove: DistributionCommand = { type: 'DeleteDistribution', distributionId: 'd1', at: LATER };

const self: DistributionSummary = { distributionId: 'd1', name: 'app', basePath: 'team/app' };
const other = (basePath: string, name = `other-${basePath}`): DistributionSummary => ({
  distributionId: `id-${basePath}`,
  name,
  basePath,
});

/**
 * given(events, others).when(command) → the events decided, or the error (and its field details) thrown.
 * `others` are the live distributions the command is decided among.
 */
function given(events: DistributionEvent[], others: DistributionSummary[] = []) {
  const distribution = events.reduce<Distribution | undefined>(evolveDistribution, undefined);
  const decide = (command: DistributionCommand) =>
    decideDistribution(
      command.type === 'DeleteDistribution' ? command : { ...command, others },
      distribution,
    );
  return {
    distribution,
    when: (command: DistributionCommand) => ({
      then: (expected: DistributionEvent[]) => expect(decide(command)).toEqual(expected),
      thenFails: (error: new (...args: never[]) => Error) => expect(() => decide(command)).toThrow(error),
      thenRefuses: (details: Record<string, string[]>) => {
        let thrown: unknown;
        try {
          decide(command);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).toBeInstanceOf(InvalidDistributionError);
        expect((thrown as InvalidDistributionError).details).toEqual(details);
      },
    }),
  };
}

describe('creating a distribution', () => {
  it('records every setting, with defaults for what the request leaves out', () => {
    given([])
      .when(create({ name: 'app', basePath: 'team/app', repositoryId: 'r1' }))
      .then([created]);
  });

  it('keeps what the request gives', () => {
    given([])
      .when(
        create({
          name: 'app',
          basePath: 'app',
          repositoryVersion: { repositoryId: 'r1', version: 2 },
          private: true,
          hidden: true,
          description: 'the app',
          pulpLabels: { env: 'prod' },
        }),
      )
      .then([
        {
          type: 'DistributionCreated',
          data: {
            distributionId: 'd1',
            name: 'app',
            basePath: 'app',
            target: { kind: 'repository_version', repositoryId: 'r1', version: 2 },
            private: true,
            hidden: true,
            description: 'the app',
            pulpLabels: { env: 'prod' },
            createdAt: AT,
          },
        },
      ]);
  });

  it('may serve nothing yet', () => {
    const [event] = decideDistribution(create({ name: 'empty', basePath: 'empty' }), undefined);
    expect(event?.type === 'DistributionCreated' && event.data.target).toBeNull();
  });

  it('needs a name and a base path', () => {
    given([])
      .when(create({} as DistributionFields))
      .thenRefuses({ name: ['This field is required.'], base_path: ['This field is required.'] });
    given([])
      .when(create({ name: ' ', basePath: 'x' }))
      .thenRefuses({ name: ['This field may not be blank.'] });
  });

  it.each(['Team/App', '/app', 'app/', 'a//b', 'app:latest', ''])(
    'refuses the base path %j, which is not an OCI repository name',
    (basePath) => {
      expect(() => decideDistribution(create({ name: 'app', basePath }), undefined)).toThrow(
        /base_path: .* is not a valid base path/,
      );
    },
  );

  it('refuses a name or base path another distribution has', () => {
    given([], [other('team/app', 'app')])
      .when(create({ name: 'app', basePath: 'team/app' }))
      .thenRefuses({ name: ['This field must be unique.'], base_path: ['This field must be unique.'] });
  });

  it('refuses a base path that nests in, or holds, another one, naming that distribution', () => {
    given([], [other('team/app', 'app')])
      .when(create({ name: 'team', basePath: 'team' }))
      .thenRefuses({ base_path: ["Overlaps with existing distribution 'app' (base path 'team/app')."] });
    given([], [other('team', 'team')])
      .when(create({ name: 'deep', basePath: 'team/app/deep' }))
      .thenRefuses({ base_path: ["Overlaps with existing distribution 'team' (base path 'team')."] });
  });

  it('allows base paths that only share leading characters', () => {
    given([], [other('team/app')])
      .when(create({ name: 'app', basePath: 'team/application', repositoryId: 'r1' }))
      .then([{ ...created, data: { ...created.data, basePath: 'team/application' } }]);
  });

  it('serves at most one of repository, repository version and publication', () => {
    given([])
      .when(create({ name: 'app', basePath: 'app', repositoryId: 'r1', publicationId: 'p1' }))
      .thenRefuses({
        non_field_errors: [
          "Only one of 'repository', 'repository_version' and 'publication' may be set; set the others to null.",
        ],
      });
  });

  it('refuses label keys clients could not filter by', () => {
    given([])
      .when(create({ name: 'app', basePath: 'app', pulpLabels: { 'bad key': 'x' } }))
      .thenRefuses({ pulp_labels: [`Label key "bad key" may only hold letters, digits, '_', '-' and '.'.`] });
  });

  it('decides nothing when the same create runs again, and refuses other settings under its id', () => {
    const existing = given([created], [self]);
    existing.when(create({ name: 'app', basePath: 'team/app', repositoryId: 'r1' })).then([]);
    existing
      .when(create({ name: 'app', basePath: 'team/app', repositoryId: 'r2' }))
      .thenFails(DistributionAlreadyExistsError);
  });
});

describe('updating a distribution', () => {
  it('records only the settings that change', () => {
    given([created])
      .when(update({ description: 'served to CI', hidden: false }))
      .then([
        { type: 'DistributionUpdated', data: { changes: { description: 'served to CI' }, updatedAt: LATER } },
      ]);
  });

  it('decides nothing when nothing changes (a task re-run after a crash)', () => {
    given([created])
      .when(update({ name: 'app', repositoryId: 'r1' }))
      .then([]);
    given([created])
      .when(update({ pulpLabels: {} }))
      .then([]);
  });

  it('switches to a publication when the request clears the repository, as Pulp requires', () => {
    given([created])
      .when(update({ publicationId: 'p1', repositoryId: null }))
      .then([
        {
          type: 'DistributionUpdated',
          data: { changes: { target: { kind: 'publication', publicationId: 'p1' } }, updatedAt: LATER },
        },
      ]);
    given([created])
      .when(update({ publicationId: 'p1' }))
      .thenRefuses({
        non_field_errors: [
          "Only one of 'repository', 'repository_version' and 'publication' may be set; set the others to null.",
        ],
      });
  });

  it('stops serving anything when its target is cleared', () => {
    const cleared = given([created]);
    cleared
      .when(update({ repositoryId: null }))
      .then([{ type: 'DistributionUpdated', data: { changes: { target: null }, updatedAt: LATER } }]);
  });

  it('may keep its own base path but not move onto or around another', () => {
    // The directory lists every live distribution, this one included.
    const others = [self, other('shared/base', 'shared')];
    given([created], others)
      .when(update({ description: 'ok' }))
      .then([{ type: 'DistributionUpdated', data: { changes: { description: 'ok' }, updatedAt: LATER } }]);
    given([created], others)
      .when(update({ basePath: 'shared' }))
      .thenRefuses({
        base_path: ["Overlaps with existing distribution 'shared' (base path 'shared/base')."],
      });
    given([created], others)
      .when(update({ name: 'shared' }))
      .thenRefuses({ name: ['This field must be unique.'] });
  });

  it('cannot update a distribution that does not exist or was deleted', () => {
    given([])
      .when(update({ name: 'x' }))
      .thenFails(DistributionNotFoundError);
    given([created, { type: 'DistributionDeleted', data: { deletedAt: LATER } }])
      .when(update({ name: 'x' }))
      .thenFails(DistributionNotFoundError);
  });

  it('folds updates into its state', () => {
    const state = given([
      created,
      {
        type: 'DistributionUpdated',
        data: { changes: { basePath: 'team/app2', private: true }, updatedAt: LATER },
      },
    ]).distribution;
    expect(state).toMatchObject({ basePath: 'team/app2', private: true, name: 'app', updatedAt: LATER });
  });
});

describe('deleting a distribution', () => {
  it('is recorded once; deleting again decides nothing', () => {
    const deleted: DistributionEvent = { type: 'DistributionDeleted', data: { deletedAt: LATER } };
    given([created]).when(remove).then([deleted]);
    expect(given([created, deleted]).distribution?.deleted).toBe(true);
    given([created, deleted]).when(remove).then([]);
  });

  it('cannot delete a distribution that never existed', () => {
    given([]).when(remove).thenFails(DistributionNotFoundError);
  });
});

describe('basePathsOverlap', () => {
  it.each([
    ['team', 'team', true],
    ['team', 'team/app', true],
    ['team/app/x', 'team', true],
    ['team', 'teams', false],
    ['team/app', 'team/application', false],
    ['a/b', 'b', false],
  ])('%s and %s → %s', (a, b, expected) => {
    expect(basePathsOverlap(a, b)).toBe(expected);
  });
});
