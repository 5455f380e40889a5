import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EventStore, type StoredEvent } from '@wharf/ports';
import { FoldedDirectory } from '@wharf/runtime';
import type { ListReplicationTargetsRequest, Page, ReplicationTargetView } from '@wharf/contracts';
import {
  evolveReplicationTarget,
  isReplicationTargetEvent,
  type ReplicationTargetState,
} from '@wharf/domain-distribution';

export const REPLICATION_TARGET_STREAM_PREFIX = 'replicationtarget-';

/** Every replication target, folded from the distribution service's log into memory (one small entry each). */
@Injectable()
export class ReplicationTargetDirectory
  extends FoldedDirectory<ReplicationTargetState>
  implements OnApplicationBootstrap, OnModuleDestroy
{
  constructor(store: EventStore) {
    super(store, REPLICATION_TARGET_STREAM_PREFIX);
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  protected fold(state: ReplicationTargetState | undefined, event: StoredEvent) {
    return isReplicationTargetEvent(event) ? evolveReplicationTarget(state, event) : undefined;
  }

  get(id: string): ReplicationTargetState | undefined {
    const state = this.states.get(id);
    return state && !state.deleted ? state : undefined;
  }

  holds(id: string, name: string): boolean {
    return this.get(id)?.settings.name === name;
  }

  /** Live targets, e.g. those pushed automatically. */
  live(): ReplicationTargetState[] {
    return [...this.states.values()].filter((state) => !state.deleted);
  }

  list(request: ListReplicationTargetsRequest): Page<ReplicationTargetView> {
    const matching = this.live()
      .filter(({ settings }) => request.name === undefined || settings.name === request.name)
      .filter(
        ({ settings }) =>
          request.repositoryId === undefined || settings.repositoryId === request.repositoryId,
      )
      .sort((a, b) => a.settings.name.localeCompare(b.settings.name));
    return {
      count: matching.length,
      results: matching.slice(request.offset, request.offset + request.limit).map(toReplicationTargetView),
    };
  }
}

/** What others may see of a target: every setting, and of the credentials only whether each is set. */
export function toReplicationTargetView(state: ReplicationTargetState): ReplicationTargetView {
  const { username, password, ...settings } = state.settings;
  return {
    id: state.targetId,
    ...settings,
    hiddenFields: [
      { field: 'username', isSet: username !== null },
      { field: 'password', isSet: password !== null },
    ],
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
  };
}
