import { describe, expect, it } from 'vitest';
import {
  decideReplicationTarget,
  evolveReplicationTarget,
  InvalidReplicationTargetError,
  ReplicationTargetNotFoundError,
  type ReplicationTargetCommand,
  type ReplicationTargetEvent,
} from './index.js';

const targetId = 'target-1';
const repositoryId = '3f1c2a1e-0b6d-4c1e-9a55-8d2f3b4c5d6e';
const T0 = '2026-01-01T00:00:00.000Z';
const T1 = '2026-01-02T00:00:00.000Z';
const minimal = { name: 'edge', url: 'https://edge.example', path: 'team/app', repositoryId };

function given(...history: ReplicationTargetEvent[]) {
  const state = history.reduce(evolveReplicationTarget, undefined);
  return {
    state,
    when: (command: ReplicationTargetCommand) => () => decideReplicationTarget(command, state),
  };
}
const create = (fields: object): ReplicationTargetCommand => ({
  type: 'CreateReplicationTarget',
  targetId,
  fields,
  at: T0,
});
const update = (changes: object): ReplicationTargetCommand => ({
  type: 'UpdateReplicationTarget',
  targetId,
  changes,
  at: T1,
});
const created: ReplicationTargetEvent = {
  type: 'ReplicationTargetCreated',
  data: {
    targetId,
    ...minimal,
    username: null,
    password: null,
    tlsValidation: true,
    caCert: null,
    mirror: false,
    auto: false,
    distributionId: null,
    createdAt: T0,
  },
};

function refusal(decide: () => unknown): Record<string, readonly string[]> {
  try {
    decide();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidReplicationTargetError);
    return (error as InvalidReplicationTargetError).details;
  }
  throw new Error('expected a refusal');
}

describe('replication targets', () => {
  it('are created with defaults for every field left out', () => {
    expect(given().when(create(minimal))()).toEqual([created]);
  });

  it('report every bad field at once under its REST name, never echoing a URL with credentials', () => {
    const details = refusal(
      given().when(
        create({
          name: '',
          url: 'https://bob:hunter2@edge.example',
          path: 'Team/App',
          mirror: 'yes',
          repositoryId: 'nope',
          colour: 'blue',
        }),
      ),
    );
    expect(details).toEqual({
      name: ['This field may not be blank.'],
      url: ['The URL must not contain credentials; use username and password.'],
      path: ['Expected a repository name such as team/app (OCI distribution name grammar).'],
      mirror: ['Must be a valid boolean.'],
      repository: ['Expected an id.'],
      colour: ['Unexpected field.'],
    });
    expect(JSON.stringify(details)).not.toContain('hunter2');
  });

  it('follow exactly one of a repository and a distribution, and take username and password together', () => {
    expect(refusal(given().when(create({ ...minimal, repositoryId: null })))).toEqual({
      non_field_errors: ['Give exactly one of repository and distribution.'],
    });
    expect(refusal(given().when(create({ ...minimal, username: 'v1:sealed' })))).toEqual({
      password: ['username and password must be set together.'],
    });
  });

  it('record only what an update changes, and nothing when nothing changes', () => {
    expect(given(created).when(update({ mirror: true, name: 'edge' }))()).toEqual([
      { type: 'ReplicationTargetUpdated', data: { changes: { mirror: true }, updatedAt: T1 } },
    ]);
    expect(given(created).when(update({ auto: false }))()).toEqual([]);
    expect(given(created).state?.settings.tlsValidation).toBe(true);
  });

  it('are deleted once; updating a deleted one is refused', () => {
    const remove: ReplicationTargetCommand = { type: 'DeleteReplicationTarget', targetId, at: T1 };
    const deleted: ReplicationTargetEvent = { type: 'ReplicationTargetDeleted', data: { deletedAt: T1 } };
    expect(given(created).when(remove)()).toEqual([deleted]);
    expect(given(created, deleted).when(remove)()).toEqual([]);
    expect(given(created, deleted).when(update({ auto: true }))).toThrow(ReplicationTargetNotFoundError);
  });
});
