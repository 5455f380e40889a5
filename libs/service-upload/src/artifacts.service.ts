import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { BlobStore } from '@wharf/ports';
import { NotFoundError, type ArtifactView, type ListArtifactsRequest, type Page } from '@wharf/contracts';
import { ArtifactDirectory, toArtifactView } from './artifact-directory.projection.js';
import { ArtifactStreams } from './upload.streams.js';

/** Artifacts: records naming blobs already in the blob store. */
@Injectable()
export class ArtifactsService {
  constructor(
    private readonly streams: ArtifactStreams,
    private readonly directory: ArtifactDirectory,
    private readonly blobs: BlobStore,
  ) {}

  /**
   * The artifact of a stored blob; a digest that already has one keeps it (Pulp allows one artifact per
   * sha256), so a task run twice or a file uploaded twice creates nothing new.
   */
  async record(digest: string, at: Date, artifactId: string = randomUUID()): Promise<ArtifactView> {
    const existing = this.directory.withDigest(digest);
    if (existing) return toArtifactView(existing);
    const stored = await this.blobs.stat(digest);
    if (!stored) throw new NotFoundError(`blob ${digest} of artifact ${artifactId}`);
    const { state, lastGlobalPosition } = await this.streams.execute(artifactId, {
      type: 'CreateArtifact',
      artifactId,
      digest,
      size: stored.size,
      createdAt: at.toISOString(),
    });
    await this.directory.caughtUp(lastGlobalPosition);
    return toArtifactView(state!);
  }

  get(id: string): ArtifactView {
    const artifact = this.directory.get(id);
    if (!artifact) throw new NotFoundError(`artifact ${id}`);
    return toArtifactView(artifact);
  }

  list(request: ListArtifactsRequest): Page<ArtifactView> {
    return this.directory.list(request);
  }
}
