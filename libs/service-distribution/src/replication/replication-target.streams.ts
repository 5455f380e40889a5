import { Injectable } from '@nestjs/common';
import { EventStore } from '@wharf/ports';
import { AggregateStreams, UniqueNames } from '@wharf/runtime';
import {
  decideReplicationTarget,
  evolveReplicationTarget,
  isReplicationTargetEvent,
  type ReplicationTargetCommand,
  type ReplicationTargetEvent,
  type ReplicationTargetState,
} from '@wharf/domain-distribution';
import {
  REPLICATION_TARGET_STREAM_PREFIX,
  ReplicationTargetDirectory,
} from './replication-target-directory.projection.js';

/** Target commands against their streams (`replicationtarget-<id>`), with retry on a concurrent append. */
@Injectable()
export class ReplicationTargetStreams extends AggregateStreams<
  ReplicationTargetState | undefined,
  ReplicationTargetCommand,
  ReplicationTargetEvent
> {
  constructor(store: EventStore) {
    super(store, {
      streamPrefix: REPLICATION_TARGET_STREAM_PREFIX,
      initial: undefined,
      evolve: evolveReplicationTarget as (
        state: ReplicationTargetState | undefined,
        event: ReplicationTargetEvent,
      ) => ReplicationTargetState | undefined,
      decide: decideReplicationTarget,
      isEvent: isReplicationTargetEvent,
    });
  }
}

/** Target names are unique among live targets; claims live in `replicationtargetname-<name>` streams. */
@Injectable()
export class ReplicationTargetNames extends UniqueNames {
  constructor(store: EventStore, directory: ReplicationTargetDirectory) {
    super(store, {
      claimStreamPrefix: 'replicationtargetname-',
      claimEventType: 'ReplicationTargetNameClaimed',
      holderField: 'targetId',
      isHeldBy: (targetId, name) => directory.holds(targetId, name),
    });
  }
}
