import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import {
  ContentIndex,
  EventStore,
  LatestVersionDeletionError,
  VersionNotFoundError,
  VersionOutOfOrderError,
  type EventSubscription,
  type StoredEvent,
} from '@wharf/ports';
import { isRepositoryEvent, type RepositoryEvent } from '@wharf/domain-content';
import { readCommittedChunks } from './committed-chunks.reader.js';
import { REPOSITORY_STREAM_PREFIX } from './repository-directory.projection.js';
import type { Loaded } from './repository.streams.js';

/** The projection's checkpoint in the content event store. */
export const VERSION_INDEX_READER = 'content-index';

/** Events that change nothing in the index are replayed cheaply, so their progress is saved only now and then. */
const CHECKPOINT_EVERY = 100;
const FIRST_RETRY_DELAY_MS = 100;
const MAX_RETRY_DELAY_MS = 5_000;

type RepositoryStoredEvent = StoredEvent & RepositoryEvent;

interface Waiter {
  readonly position: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class VersionIndexProjectionError extends Error {
  override readonly name = 'VersionIndexProjectionError';
  constructor(cause: unknown) {
    super(`the version index stopped following the content event store: ${(cause as Error).message}`, {
      cause,
    });
  }
}

/**
 * Keeps the ContentIndex's version index in step with the repository streams: every committed version is
 * applied (its chunks read back from the stream, see readCommittedChunks), every deleted version squashed,
 * every deleted repository forgotten. Writers wait with `caughtUp` until their version is readable.
 *
 * Every index write is idempotent, so resuming from any checkpoint is safe. When the index turns out to be
 * behind a stream (a version arrives that does not follow the last one applied: the index was lost and
 * recreated, or its checkpoint is older than its content), that repository is rebuilt by replaying its
 * stream. Index work runs one step at a time, whether it comes from the log or from `current`.
 */
@Injectable()
export class VersionIndexProjection implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(VersionIndexProjection.name);
  private position = 0;
  private unsaved = 0;
  private waiters: Waiter[] = [];
  private subscription?: EventSubscription;
  private failure?: VersionIndexProjectionError;
  private retryDelayMs = FIRST_RETRY_DELAY_MS;
  private retryTimer?: NodeJS.Timeout;
  private stopped = false;
  private work: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: EventStore,
    private readonly index: ContentIndex,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.position = await this.store.loadCheckpoint(VERSION_INDEX_READER);
    this.subscribe();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.subscription?.close();
    await this.work;
    if (this.unsaved > 0) await this.store.saveCheckpoint(VERSION_INDEX_READER, this.position);
    this.rejectWaiters(
      new Error('the content service is stopping; the version index no longer follows its log'),
    );
  }

  /** Resolves once every event up to `globalPosition` is in the index; rejects while the projection is failing. */
  caughtUp(globalPosition: number): Promise<void> {
    if (this.position >= globalPosition) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiters.push({ position: globalPosition, resolve, reject }));
  }

  /**
   * Resolves once the index holds the repository as `loaded` shows it. Beyond `caughtUp`, this repairs a
   * repository whose index rows were lost while the checkpoint stayed ahead of them.
   */
  async current(repositoryId: string, loaded: Loaded): Promise<void> {
    await this.caughtUp(loaded.headPosition);
    const { state } = loaded;
    if (!state.exists || state.deleted) return;
    if ((await this.index.lastAppliedVersion(repositoryId)) >= state.latestVersion) return;
    await this.serially(() => this.replay(repositoryId, loaded.version));
  }

  private subscribe(): void {
    this.failure = undefined;
    this.subscription = this.store.subscribe(
      this.position,
      (event) => this.serially(() => this.handle(event)),
      (error) => this.fail(error),
    );
  }

  private async handle(event: StoredEvent): Promise<void> {
    const repositoryId = repositoryIdOf(event.stream);
    const changed =
      repositoryId !== undefined && isRepositoryEvent(event)
        ? await this.applyOrRebuild(repositoryId, event)
        : false;
    this.position = event.globalPosition;
    this.unsaved++;
    if (changed || this.unsaved >= CHECKPOINT_EVERY) {
      await this.store.saveCheckpoint(VERSION_INDEX_READER, this.position);
      this.unsaved = 0;
    }
    this.retryDelayMs = FIRST_RETRY_DELAY_MS;
    this.release();
  }

  private async applyOrRebuild(repositoryId: string, event: RepositoryStoredEvent): Promise<boolean> {
    try {
      return await this.apply(repositoryId, event);
    } catch (error) {
      const behind =
        error instanceof VersionOutOfOrderError ||
        error instanceof VersionNotFoundError ||
        error instanceof LatestVersionDeletionError;
      if (!behind) throw error;
      this.logger.warn(
        `repository ${repositoryId}: index behind its stream (${error.message}); replaying it`,
      );
      await this.replay(repositoryId, event.position);
      return true;
    }
  }

  /** Applies one event; true when the index changed. */
  private async apply(repositoryId: string, event: RepositoryStoredEvent): Promise<boolean> {
    switch (event.type) {
      case 'RepositoryVersionCreated':
        return this.index.applyVersion(
          repositoryId,
          event.data.version,
          readCommittedChunks(this.store, event),
        );
      case 'RepositoryVersionDeleted':
        return this.index.deleteVersion(repositoryId, event.data.version);
      case 'RepositoryDeleted':
        await this.index.deleteRepository(repositoryId);
        return true;
      default:
        return false;
    }
  }

  /** Applies the repository's stream from its start; what the index holds already is skipped. */
  private async replay(repositoryId: string, toPosition: number): Promise<void> {
    const stream = REPOSITORY_STREAM_PREFIX + repositoryId;
    for await (const event of this.store.readStream(stream, { toPosition })) {
      if (isRepositoryEvent(event)) await this.apply(repositoryId, event);
    }
  }

  private serially<T>(step: () => Promise<T>): Promise<T> {
    const result = this.work.then(step);
    this.work = result.catch(() => undefined);
    return result;
  }

  private release(): void {
    const ready = this.waiters.filter((waiter) => waiter.position <= this.position);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((waiter) => waiter.position > this.position);
    ready.forEach((waiter) => waiter.resolve());
  }

  private rejectWaiters(error: Error): void {
    const waiting = this.waiters;
    this.waiters = [];
    waiting.forEach((waiter) => waiter.reject(error));
  }

  /** The subscription stopped on an error: tell the waiting writers, then resume from the last handled event. */
  private fail(error: unknown): void {
    if (this.stopped) return;
    this.failure = new VersionIndexProjectionError(error);
    this.logger.error(`${this.failure.message}; retrying in ${this.retryDelayMs} ms`);
    this.rejectWaiters(this.failure);
    this.retryTimer = setTimeout(() => {
      if (!this.stopped) this.subscribe();
    }, this.retryDelayMs);
    this.retryDelayMs = Math.min(this.retryDelayMs * 2, MAX_RETRY_DELAY_MS);
  }
}

function repositoryIdOf(stream: string): string | undefined {
  return stream.startsWith(REPOSITORY_STREAM_PREFIX)
    ? stream.slice(REPOSITORY_STREAM_PREFIX.length)
    : undefined;
}
