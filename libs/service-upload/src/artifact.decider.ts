import type { DomainEvent } from '@wharf/runtime';

/** A stored blob under a Pulp artifact id: the record clients address the bytes by. */
export interface Artifact {
  readonly artifactId: string;
  readonly digest: string;
  readonly size: number;
  readonly createdAt: string;
}

export type ArtifactEvent = { type: 'ArtifactCreated'; data: Artifact };

export type ArtifactCommand = { type: 'CreateArtifact' } & Artifact;

export function isArtifactEvent(event: DomainEvent): event is ArtifactEvent {
  return event.type === 'ArtifactCreated';
}

/** Creating an artifact again (a task run twice) changes nothing. */
export function decideArtifact(command: ArtifactCommand, state: Artifact | undefined): ArtifactEvent[] {
  if (state) return [];
  const { artifactId, digest, size, createdAt } = command;
  return [{ type: 'ArtifactCreated', data: { artifactId, digest, size, createdAt } }];
}

export function evolveArtifact(_state: Artifact | undefined, event: ArtifactEvent): Artifact {
  return event.data;
}
