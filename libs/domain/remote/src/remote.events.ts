import type { RemoteFields, RemoteInput } from '@wharf/contracts';

/*
 * Events of one remote's stream (`remote-<id>`). Credentials in them are sealed by the sync service before
 * the command is decided; the domain never sees them in clear and treats them as opaque strings.
 */

export interface RemoteCreatedData extends RemoteFields {
  readonly remoteId: string;
  readonly createdAt: string;
}

export interface RemoteUpdatedData {
  /** Only the fields that actually changed, with their new values. */
  readonly changes: RemoteInput;
  readonly updatedAt: string;
}

export interface RemoteDeletedData {
  readonly deletedAt: string;
}

export type RemoteEvent =
  | { readonly type: 'RemoteCreated'; readonly data: RemoteCreatedData }
  | { readonly type: 'RemoteUpdated'; readonly data: RemoteUpdatedData }
  | { readonly type: 'RemoteDeleted'; readonly data: RemoteDeletedData };

export const REMOTE_EVENT_TYPES: readonly RemoteEvent['type'][] = [
  'RemoteCreated',
  'RemoteUpdated',
  'RemoteDeleted',
];

/** Narrows an event read from the store (whose type is a plain string) to a remote event. */
export function isRemoteEvent(event: {
  readonly type: string;
  readonly data: unknown;
}): event is RemoteEvent {
  return (REMOTE_EVENT_TYPES as readonly string[]).includes(event.type);
}
