import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EventStore, type StoredEvent } from '@wharf/ports';
import { FoldedDirectory } from '@wharf/runtime';
import type {
  LatestPublications,
  ListPublicationsRequest,
  Page,
  PublicationView,
  VersionRef,
} from '@wharf/contracts';
import { evolvePublication, isPublicationEvent, type Publication } from '@wharf/domain-publication';
import { PUBLICATION_STREAM_PREFIX } from './publication.streams.js';

/**
 * Every live publication, in memory, folded from the publication event log (a few fields each, so keeping
 * them all is cheap); rebuilt at start by reading the log once. Writers wait for it to reach their append
 * (`caughtUp`) so a client reads its own writes.
 */
@Injectable()
export class PublicationDirectory
  extends FoldedDirectory<Publication>
  implements OnApplicationBootstrap, OnModuleDestroy
{
  constructor(store: EventStore) {
    super(store, PUBLICATION_STREAM_PREFIX);
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  protected fold(publication: Publication | undefined, event: StoredEvent): Publication | undefined {
    return isPublicationEvent(event) ? evolvePublication(publication, event) : undefined;
  }

  /** Live publications, oldest first. */
  private live(): Publication[] {
    return [...this.states.values()].filter((p) => !p.deleted);
  }

  get(id: string): PublicationView | undefined {
    const publication = this.states.get(id);
    return publication && !publication.deleted ? toPublicationView(publication) : undefined;
  }

  /** Newest first, as Pulp lists publications. */
  list(request: ListPublicationsRequest): Page<PublicationView> {
    const version = request.repositoryVersion;
    const matching = this.live()
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

  /**
   * The live publication of the repository's highest published version (the newest of those), and the
   * same among those of lower versions.
   */
  latestOf(repositoryId: string): LatestPublications {
    let latest: Publication | undefined;
    let previous: Publication | undefined;
    for (const publication of this.live()) {
      if (publication.repositoryId !== repositoryId) continue;
      if (!latest || publication.repositoryVersion >= latest.repositoryVersion) {
        if (latest && latest.repositoryVersion < publication.repositoryVersion) previous = latest;
        latest = publication;
      } else if (!previous || publication.repositoryVersion >= previous.repositoryVersion) {
        previous = publication;
      }
    }
    return {
      publication: latest ? toPublicationView(latest) : null,
      previous: previous ? toPublicationView(previous) : null,
    };
  }

  /**
   * The versions live publications serve, of one repository or of all. Of those `skippable` marks (automatic
   * publications) only each repository's latest counts.
   */
  publishedVersions(
    repositoryId?: string,
    skippable: (publication: PublicationView) => boolean = () => false,
  ): VersionRef[] {
    const live = this.live().filter((p) => repositoryId === undefined || p.repositoryId === repositoryId);
    const latest = new Map<string, Publication>();
    for (const publication of live) {
      const current = latest.get(publication.repositoryId);
      if (!current || publication.repositoryVersion >= current.repositoryVersion) {
        latest.set(publication.repositoryId, publication);
      }
    }
    return live
      .filter((p) => !skippable(toPublicationView(p)) || latest.get(p.repositoryId) === p)
      .map((p) => ({ repositoryId: p.repositoryId, version: p.repositoryVersion }));
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
