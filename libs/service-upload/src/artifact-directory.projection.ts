import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EventStore, type StoredEvent } from '@wharf/ports';
import { FoldedDirectory } from '@wharf/runtime';
import type { ArtifactView, ListArtifactsRequest, Page } from '@wharf/contracts';
import { evolveArtifact, isArtifactEvent, type Artifact } from './artifact.decider.js';
import { ARTIFACT_STREAM_PREFIX } from './upload.streams.js';

/** Every artifact, folded from the upload service's log, and indexed by digest (one artifact per digest). */
@Injectable()
export class ArtifactDirectory
  extends FoldedDirectory<Artifact>
  implements OnApplicationBootstrap, OnModuleDestroy
{
  private readonly byDigest = new Map<string, Artifact>();

  constructor(store: EventStore) {
    super(store, ARTIFACT_STREAM_PREFIX);
  }

  onApplicationBootstrap(): void {
    this.start((_id, artifact) => {
      if (!this.byDigest.has(artifact.digest)) this.byDigest.set(artifact.digest, artifact);
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  protected fold(artifact: Artifact | undefined, event: StoredEvent): Artifact | undefined {
    return isArtifactEvent(event) ? evolveArtifact(artifact, event) : undefined;
  }

  get(id: string): Artifact | undefined {
    return this.states.get(id);
  }

  withDigest(digest: string): Artifact | undefined {
    return this.byDigest.get(digest);
  }

  /** Newest first, as Pulp lists artifacts. */
  list(request: ListArtifactsRequest): Page<ArtifactView> {
    const matching = (
      request.sha256 === undefined
        ? [...this.states.values()]
        : [this.byDigest.get(`sha256:${request.sha256}`)].filter((a) => a !== undefined)
    ).reverse();
    return {
      count: matching.length,
      results: matching.slice(request.offset, request.offset + request.limit).map(toArtifactView),
    };
  }
}

export function toArtifactView(artifact: Artifact): ArtifactView {
  return {
    id: artifact.artifactId,
    digest: artifact.digest,
    size: artifact.size,
    createdAt: artifact.createdAt,
  };
}
