import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EventStore, type EventSubscription, type StoredEvent } from '@wharf/ports';
import type { ListPublicationsRequest, Page, PublicationView, VersionRef } from '@wharf/contracts';
import { evolvePublication, isPublicationEvent, type Publication } from '@wharf/domain-publication';
import { PUBLICATION_STREAM_PREFIX } from './publication.streams.js';

/**
 * Every live publication, in memory, folded from the publication event log (a few fields each, so keeping
 * them all is cheap); rebuilt at start by reading the log once. Writers wait for it to reach their append
 * (`caughtUp`) so a client reads its own writes.
 */
@Injectable()
export class PublicationDirectory implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly publications = new Map<string, Publication>();
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

  get(id: string): PublicationView | undefined {
    const publication = this.publications.get(id);
    return publication && toPublicationView(publication);
  }

  /** Newest first, as Pulp lists publications. */
  list(request: ListPublicationsRequest): Page<PublicationView> {
    const version = request.repositoryVersion;
    const matching = [...this.publications.values()]
      .filter((p) => request.repositoryId === undefined || p.repositoryId === request.repositoryId)
      .filter(
        (p) =>
          version === undefined ||
          (p.repositoryId === version.repositoryId && p.repositoryVersion === version.version),
      )
      .reverse();
    return {
      count: matching.length,
      results: matching.slice(request.offset, request.offset + request.limit).map(toPublicationView),
    };
  }

  /** The versions live publications serve, of one repository or of all. */
  publishedVersions(repositoryId?: string): VersionRef[] {
    return [...this.publications.values()]
      .filter((p) => repositoryId === undefined || p.repositoryId === repositoryId)
      .map((p) => ({ repositoryId: p.repositoryId, version: p.repositoryVersion }));
  }

  private async apply(event: StoredEvent): Promise<void> {
    if (event.stream.startsWith(PUBLICATION_STREAM_PREFIX) && isPublicationEvent(event)) {
      const id = event.stream.slice(PUBLICATION_STREAM_PREFIX.length);
      const publication = evolvePublication(this.publications.get(id), event);
      if (publication && !publication.deleted) this.publications.set(id, publication);
      else this.publications.delete(id);
    }
    this.position = event.globalPosition;
    const ready = this.waiters.filter((w) => w.position <= this.position);
    if (ready.length) {
      this.waiters = this.waiters.filter((w) => w.position > this.position);
      ready.forEach((w) => w.resolve());
    }
  }
}

export function toPublicationView(publication: Publication): PublicationView {
  return {
    id: publication.publicationId,
    repositoryId: publication.repositoryId,
    repositoryVersion: publication.repositoryVersion,
    createdAt: publication.createdAt,
  };
}
