import type { RemoteFields, RemoteInput } from '@wharf/contracts';
import { RemoteAlreadyExistsError, RemoteNotFoundError } from './remote.errors.js';
import type { RemoteEvent } from './remote.events.js';
import {
  assertConsistent,
  parseRemoteInput,
  REMOTE_DEFAULTS,
  REQUIRED_REMOTE_FIELDS,
  type RemoteField,
} from './remote.fields.js';
import { isLive, type RemoteState } from './remote.state.js';

/*
 * Commands carry their own time (`at`, ISO 8601) and ids, so deciding stays pure. Their fields are what a
 * client sent, with credentials already sealed by the service: they are checked here again, because a
 * command may come from a task payload, and the domain trusts nothing it did not check.
 */

export interface CreateRemote {
  readonly type: 'CreateRemote';
  readonly remoteId: string;
  readonly fields: RemoteInput;
  readonly at: string;
}

export interface UpdateRemote {
  readonly type: 'UpdateRemote';
  readonly remoteId: string;
  readonly changes: RemoteInput;
  /** PATCH (true) changes only the given fields; PUT (false) must also give every required field. */
  readonly partial: boolean;
  readonly at: string;
}

export interface DeleteRemote {
  readonly type: 'DeleteRemote';
  readonly remoteId: string;
  readonly at: string;
}

export type RemoteCommand = CreateRemote | UpdateRemote | DeleteRemote;

/** Decides what a command changes: the events to append, or a typed error. Pure. */
export function decideRemote(command: RemoteCommand, state: RemoteState): RemoteEvent[] {
  switch (command.type) {
    case 'CreateRemote':
      return createRemote(command, state);
    case 'UpdateRemote':
      return updateRemote(command, state);
    case 'DeleteRemote':
      return deleteRemote(command, state);
  }
}

function createRemote(command: CreateRemote, state: RemoteState): RemoteEvent[] {
  if (state.exists) throw new RemoteAlreadyExistsError(command.remoteId);
  const given = parseRemoteInput(command.fields, REQUIRED_REMOTE_FIELDS);
  const fields = { ...REMOTE_DEFAULTS, ...given } as RemoteFields;
  assertConsistent(fields);
  return [{ type: 'RemoteCreated', data: { remoteId: command.remoteId, ...fields, createdAt: command.at } }];
}

function updateRemote(command: UpdateRemote, state: RemoteState): RemoteEvent[] {
  if (!isLive(state)) throw new RemoteNotFoundError(command.remoteId);
  const given = parseRemoteInput(command.changes, command.partial ? [] : REQUIRED_REMOTE_FIELDS);
  assertConsistent({ ...state.fields, ...given });
  const changes = changedFields(state.fields, given);
  // An update that changes nothing (or a task run again after a crash) records nothing.
  if (Object.keys(changes).length === 0) return [];
  return [{ type: 'RemoteUpdated', data: { changes, updatedAt: command.at } }];
}

function deleteRemote(command: DeleteRemote, state: RemoteState): RemoteEvent[] {
  if (!state.exists) throw new RemoteNotFoundError(command.remoteId);
  // Deleting again is a redelivered task finishing its work, not an error.
  return state.deleted ? [] : [{ type: 'RemoteDeleted', data: { deletedAt: command.at } }];
}

function changedFields(current: RemoteFields, given: RemoteInput): RemoteInput {
  const changes: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(given) as [RemoteField, unknown][]) {
    // Values are JSON (strings, numbers, lists, plain objects), so equal JSON means equal values.
    if (JSON.stringify(current[field]) !== JSON.stringify(value)) changes[field] = value;
  }
  return changes as RemoteInput;
}
