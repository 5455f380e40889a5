import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EventStore, type EventSubscription, type StoredEvent } from '@wharf/ports';
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
export class RepositoryDirectory implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly repositories = new Map<string, RepositoryState>();
  private position = 0;
  private waiters: { position: number; resolve: () => void }[] = [];
  private subscription?: EventSubscription;
  private failure?: unknown;

  constructor(private readonly store: EventStore) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = this.store.subscribe(
      0,
      async (event) => this.apply(event),
      (error) => {
        this.failure = error;
      },
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.close();
  }

  /** Resolves once every event up to `globalPosition` is folded in. */
  caughtUp(globalPosition: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.position >= globalPosition) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ position: globalPosition, resolve }));
  }

  get(id: string): RepositoryView | undefined {
    const state = this.repositories.get(id);
    return state && !state.deleted ? toView(state) : undefined;
  }

  /** The live repository holding `name`, if any. */
  findByName(name: string): RepositoryView | undefined {
    for (const state of this.repositories.values()) {
      if (!state.deleted && state.name === name) return toView(state);
    }
    return undefined;
  }

  list(request: ListRepositoriesRequest): Page<RepositoryView> {
    const matching = [...this.repositories.values()]
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

  private async apply(event: StoredEvent): Promise<void> {
    if (event.stream.startsWith(REPOSITORY_STREAM_PREFIX) && isRepositoryEvent(event)) {
      const id = event.stream.slice(REPOSITORY_STREAM_PREFIX.length);
      this.repositories.set(id, evolve(this.repositories.get(id) ?? initialRepositoryState, event));
    }
    this.position = event.globalPosition;
    const ready = this.waiters.filter((w) => w.position <= this.position);
    if (ready.length) {
      this.waiters = this.waiters.filter((w) => w.position > this.position);
      ready.forEach((w) => w.resolve());
    }
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
