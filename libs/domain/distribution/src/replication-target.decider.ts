import { ConflictError, NotFoundError, type ReplicationTargetInput } from '@wharf/contracts';
import type { ReplicationTargetEvent } from './replication-target.events.js';
import {
  assertConsistentTarget,
  parseReplicationTargetInput,
  REPLICATION_TARGET_DEFAULTS,
  REQUIRED_REPLICATION_TARGET_FIELDS,
  type ReplicationTargetSettings,
} from './replication-target.fields.js';

export class ReplicationTargetNotFoundError extends NotFoundError {
  constructor(readonly targetId: string) {
    super(`replication target ${targetId}`);
  }
}

export class ReplicationTargetAlreadyExistsError extends ConflictError {
  constructor(readonly targetId: string) {
    super(`replication target ${targetId} already exists`);
  }
}

export interface ReplicationTargetState {
  readonly targetId: string;
  readonly settings: ReplicationTargetSettings;
  readonly deleted: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/*
 * Commands carry their time and ids, and credentials already sealed by the service; their fields are checked
 * here again, because a command may come from a task payload and the domain trusts nothing it did not check.
 */
export type ReplicationTargetCommand =
  | {
      readonly type: 'CreateReplicationTarget';
      readonly targetId: string;
      readonly fields: ReplicationTargetInput;
      readonly at: string;
    }
  | {
      readonly type: 'UpdateReplicationTarget';
      readonly targetId: string;
      readonly changes: ReplicationTargetInput;
      readonly at: string;
    }
  | { readonly type: 'DeleteReplicationTarget'; readonly targetId: string; readonly at: string };

/** Pure: the events a command appends, or a typed error. Repeating a delete decides nothing. */
export function decideReplicationTarget(
  command: ReplicationTargetCommand,
  state: ReplicationTargetState | undefined,
): ReplicationTargetEvent[] {
  switch (command.type) {
    case 'CreateReplicationTarget': {
      if (state) throw new ReplicationTargetAlreadyExistsError(command.targetId);
      const given = parseReplicationTargetInput(command.fields, REQUIRED_REPLICATION_TARGET_FIELDS);
      const settings = { ...REPLICATION_TARGET_DEFAULTS, ...given } as ReplicationTargetSettings;
      assertConsistentTarget(settings);
      return [
        {
          type: 'ReplicationTargetCreated',
          data: { targetId: command.targetId, ...settings, createdAt: command.at },
        },
      ];
    }
    case 'UpdateReplicationTarget': {
      if (!state || state.deleted) throw new ReplicationTargetNotFoundError(command.targetId);
      const given = parseReplicationTargetInput(command.changes);
      assertConsistentTarget({ ...state.settings, ...given });
      const changes: Record<string, unknown> = {};
      for (const [field, value] of Object.entries(given)) {
        if (
          JSON.stringify(state.settings[field as keyof ReplicationTargetSettings]) !== JSON.stringify(value)
        ) {
          changes[field] = value;
        }
      }
      if (Object.keys(changes).length === 0) return [];
      return [{ type: 'ReplicationTargetUpdated', data: { changes, updatedAt: command.at } }];
    }
    case 'DeleteReplicationTarget':
      if (!state) throw new ReplicationTargetNotFoundError(command.targetId);
      return state.deleted ? [] : [{ type: 'ReplicationTargetDeleted', data: { deletedAt: command.at } }];
  }
}

export function evolveReplicationTarget(
  state: ReplicationTargetState | undefined,
  event: ReplicationTargetEvent,
): ReplicationTargetState | undefined {
  switch (event.type) {
    case 'ReplicationTargetCreated': {
      const { targetId, createdAt, ...settings } = event.data;
      return { targetId, settings, deleted: false, createdAt, updatedAt: createdAt };
    }
    case 'ReplicationTargetUpdated':
      return (
        state && {
          ...state,
          settings: { ...state.settings, ...event.data.changes },
          updatedAt: event.data.updatedAt,
        }
      );
    case 'ReplicationTargetDeleted':
      return state && { ...state, deleted: true, updatedAt: event.data.deletedAt };
  }
}
