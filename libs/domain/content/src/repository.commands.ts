import type { UnitKey } from '@wharf/contracts';
import type { UnitCounts } from './content-summary.model.js';
import type { RepositoryChanges } from './repository.events.js';

/** Commands carry their own time (`at`, ISO 8601) and ids, so deciding stays a pure function. */
export interface CreateRepository {
  readonly type: 'CreateRepository';
  readonly repositoryId: string;
  readonly name: string;
  readonly description?: string | null;
  readonly retainRepoVersions?: number | null;
  readonly remote?: string | null;
  readonly at: string;
}

export interface UpdateRepository {
  readonly type: 'UpdateRepository';
  readonly repositoryId: string;
  readonly changes: RepositoryChanges;
  readonly at: string;
}

export interface DeleteRepository {
  readonly type: 'DeleteRepository';
  readonly repositoryId: string;
  readonly at: string;
}

/**
 * Records a planned change as the next version. `added` and `removed` are relative to the latest version
 * (the planners and `relativeToLatest` produce them so), `present` counts the new version's units.
 */
export interface RecordVersion {
  readonly type: 'RecordVersion';
  readonly repositoryId: string;
  /** Fresh for every attempt: it ties the chunks to their commit, so a retry never adopts orphans. */
  readonly changeId: string;
  /** The version the user based the change on (Pulp's base_version), or null for the latest. */
  readonly baseVersion: number | null;
  /**
   * The latest version the change was computed against. If another version was recorded meanwhile, the
   * change is stale and refused instead of being applied to content it was not planned for.
   */
  readonly expectedLatestVersion: number;
  readonly added: readonly UnitKey[];
  readonly removed: readonly UnitKey[];
  readonly present: UnitCounts;
  readonly at: string;
}

export interface DeleteVersion {
  readonly type: 'DeleteVersion';
  readonly repositoryId: string;
  readonly version: number;
  readonly at: string;
}

export type RepositoryCommand =
  CreateRepository | UpdateRepository | DeleteRepository | RecordVersion | DeleteVersion;
