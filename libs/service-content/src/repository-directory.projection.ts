import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EventStore, type StoredEvent } from '@wharf/ports';
import { FoldedDirectory } from '@wharf/runtime';
import type { ListRepositoriesRequest, Page, RepositoryView } from '@wharf/contracts';
import {
  evolve,
  initialRepositoryState,
  isRepositoryEvent,
  type RepositoryState,
} from '@wharf/domain-content';

export const REPOSITORY_STREAM_PREFIX = 'repository-';

/**
 * Every repository's settings and latest version, in memory, folded from the event log. Small (one entry per
 * repository, no unit lists), so keeping it whole is cheap; rebuilt at start by reading the log once.
 * Writers wait for it to reach their append (`caughtUp`) so a client reads its own writes.
 */
@Injectable()
export class RepositoryDirectory
  extends FoldedDirectory<RepositoryState>
  implements OnApplicationBootstrap, OnModuleDestroy
{
  constructor(store: EventStore) {
    super(store, REPOSITORY_STREAM_PREFIX);
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  protected fold(state: RepositoryState | undefined, event: StoredEvent): RepositoryState | undefined {
    return isRepositoryEvent(event) ? evolve(state ?? initialRepositoryState, event) : undefined;
  }

  get(id: string): RepositoryView | undefined {
    const state = this.states.get(id);
    return state && !state.deleted ? toView(state) : undefined;
  }

  /** The live repository holding `name`, if any. */
  findByName(name: string): RepositoryView | undefined {
    for (const state of this.states.values()) {
      if (!state.deleted && state.name === name) return toView(state);
    }
    return undefined;
  }

  list(request: ListRepositoriesRequest): Page<RepositoryView> {
    const matching = [...this.states.values()]
      .filter((s) => !s.deleted)
      .filter((s) => request.name === undefined || s.name === request.name)
      .filter((s) => request.nameContains === undefined || s.name.includes(request.nameContains))
      .filter((s) => request.nameStartsWith === undefined || s.name.startsWith(request.nameStartsWith))
      .sort((a, b) => a.name.localeCompare(b.name));
    return {
      count: matching.length,
      results: matching.slice(request.offset, request.offset + request.limit).map(toView),
    };
  }
}

export function toView(state: RepositoryState): RepositoryView {
  return {
    id: state.repositoryId,
    name: state.name,
    description: state.description,
    retainRepoVersions: state.retainRepoVersions,
    remote: state.remote,
    latestVersion: state.latestVersion,
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
  };
}
