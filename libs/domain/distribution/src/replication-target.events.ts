import type { ReplicationTargetSettings } from './replication-target.fields.js';

export interface ReplicationTargetCreatedData extends ReplicationTargetSettings {
  readonly targetId: string;
  readonly createdAt: string;
}

export interface ReplicationTargetUpdatedData {
  /** Only the settings that changed, with their new values (credentials sealed). */
  readonly changes: Partial<ReplicationTargetSettings>;
  readonly updatedAt: string;
}

export interface ReplicationTargetDeletedData {
  readonly deletedAt: string;
}

/** Events of one replication target's stream (`replicationtarget-<id>`). */
export type ReplicationTargetEvent =
  | { readonly type: 'ReplicationTargetCreated'; readonly data: ReplicationTargetCreatedData }
  | { readonly type: 'ReplicationTargetUpdated'; readonly data: ReplicationTargetUpdatedData }
  | { readonly type: 'ReplicationTargetDeleted'; readonly data: ReplicationTargetDeletedData };

const TYPES: readonly string[] = [
  'ReplicationTargetCreated',
  'ReplicationTargetUpdated',
  'ReplicationTargetDeleted',
] satisfies ReplicationTargetEvent['type'][];

export function isReplicationTargetEvent(event: {
  readonly type: string;
  readonly data: unknown;
}): event is ReplicationTargetEvent {
  return TYPES.includes(event.type);
}
