import type { UnitKey } from '@wharf/contracts';
import type { ContentSummary } from './content-summary.model.js';

/**
 * Events of one repository's stream. Each is `{ type, data }` with JSON-serializable data, the shape the
 * event store keeps.
 *
 * A new version is written as content chunks followed by one commit: VersionContentAdded/-Removed carry at
 * most CHUNK_SIZE keys each, so that no single event nears MongoDB's 16 MB document cap even for a version of
 * 200,000 units, and RepositoryVersionCreated is the only event that makes the version exist. Appends need
 * not be atomic: a crash may leave chunks without their commit. Such orphans are ignored by readers (see
 * `collectCommittedChanges`) and the retry writes its own chunks under a new changeId.
 */
export const CHUNK_SIZE = 5_000;

export interface RepositoryCreatedData {
  readonly repositoryId: string;
  readonly name: string;
  readonly description: string | null;
  readonly retainRepoVersions: number | null;
  /** Id of the repository's default remote. */
  readonly remote: string | null;
  readonly createdAt: string;
}

/** The settings a repository's owner may change; absent fields stay as they are. */
export interface RepositoryChanges {
  readonly name?: string;
  readonly description?: string | null;
  readonly retainRepoVersions?: number | null;
  readonly remote?: string | null;
}

export interface RepositoryUpdatedData {
  /** Only the fields that actually changed. */
  readonly changes: RepositoryChanges;
  readonly updatedAt: string;
}

export interface RepositoryDeletedData {
  readonly deletedAt: string;
}

export interface VersionContentData {
  readonly changeId: string;
  readonly version: number;
  /** At most CHUNK_SIZE keys. */
  readonly units: readonly UnitKey[];
}

export interface RepositoryVersionCreatedData {
  readonly changeId: string;
  readonly version: number;
  /** The version the user based the change on (Pulp's base_version); null when it was the latest. */
  readonly baseVersion: number | null;
  /** How many VersionContentAdded/-Removed events of this changeId precede the commit. */
  readonly chunks: number;
  /** Added and removed relative to the previous version (history is linear), present in this one. */
  readonly summary: ContentSummary;
  readonly createdAt: string;
}

export interface RepositoryVersionDeletedData {
  readonly version: number;
  readonly deletedAt: string;
}

export type RepositoryEvent =
  | { readonly type: 'RepositoryCreated'; readonly data: RepositoryCreatedData }
  | { readonly type: 'RepositoryUpdated'; readonly data: RepositoryUpdatedData }
  | { readonly type: 'RepositoryDeleted'; readonly data: RepositoryDeletedData }
  | { readonly type: 'VersionContentAdded'; readonly data: VersionContentData }
  | { readonly type: 'VersionContentRemoved'; readonly data: VersionContentData }
  | { readonly type: 'RepositoryVersionCreated'; readonly data: RepositoryVersionCreatedData }
  | { readonly type: 'RepositoryVersionDeleted'; readonly data: RepositoryVersionDeletedData };

export type RepositoryEventType = RepositoryEvent['type'];

export type RepositoryEventOf<T extends RepositoryEventType> = Extract<RepositoryEvent, { type: T }>;

export const REPOSITORY_EVENT_TYPES: readonly RepositoryEventType[] = [
  'RepositoryCreated',
  'RepositoryUpdated',
  'RepositoryDeleted',
  'VersionContentAdded',
  'VersionContentRemoved',
  'RepositoryVersionCreated',
  'RepositoryVersionDeleted',
];

/** Narrows an event read from the store (whose type is a plain string) to a repository event. */
export function isRepositoryEvent(event: {
  readonly type: string;
  readonly data: unknown;
}): event is RepositoryEvent {
  return (REPOSITORY_EVENT_TYPES as readonly string[]).includes(event.type);
}
