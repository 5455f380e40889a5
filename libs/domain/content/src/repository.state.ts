import { NO_UNITS, type UnitCounts } from './content-summary.model.js';
import type { RepositoryEvent } from './repository.events.js';

/**
 * One live version as the aggregate knows it. Only `present` is kept from the summary: added/removed
 * counts change when an earlier version is deleted and squashed into this one, which takes the unit lists
 * to work out, so the version index (the read model) is where they are read.
 */
export interface VersionInfo {
  readonly number: number;
  readonly baseVersion: number | null;
  readonly present: UnitCounts;
  readonly createdAt: string;
}

/**
 * What deciding needs about a repository. Deliberately not its units: a version may hold 200,000 of them,
 * and they live in the version index.
 */
export interface RepositoryState {
  readonly exists: boolean;
  readonly deleted: boolean;
  readonly repositoryId: string;
  readonly name: string;
  readonly description: string | null;
  readonly retainRepoVersions: number | null;
  readonly remote: string | null;
  readonly latestVersion: number;
  /** Live versions, oldest first. */
  readonly versions: readonly VersionInfo[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

export const initialRepositoryState: RepositoryState = {
  exists: false,
  deleted: false,
  repositoryId: '',
  name: '',
  description: null,
  retainRepoVersions: null,
  remote: null,
  latestVersion: 0,
  versions: [],
  createdAt: '',
  updatedAt: '',
};

export function evolve(state: RepositoryState, event: RepositoryEvent): RepositoryState {
  switch (event.type) {
    case 'RepositoryCreated': {
      const { createdAt, ...settings } = event.data;
      return {
        ...state,
        ...settings,
        exists: true,
        latestVersion: 0,
        // Every repository starts with version 0, empty, as in Pulp.
        versions: [{ number: 0, baseVersion: null, present: NO_UNITS, createdAt }],
        createdAt,
        updatedAt: createdAt,
      };
    }
    case 'RepositoryUpdated':
      return { ...state, ...event.data.changes, updatedAt: event.data.updatedAt };
    case 'RepositoryDeleted':
      return { ...state, deleted: true, updatedAt: event.data.deletedAt };
    case 'VersionContentAdded':
    case 'VersionContentRemoved':
      // Unit lists are the read model's business; until its commit a chunk changes nothing visible.
      return state;
    case 'RepositoryVersionCreated': {
      const { version, baseVersion, summary, createdAt } = event.data;
      return {
        ...state,
        latestVersion: version,
        versions: [...state.versions, { number: version, baseVersion, present: summary.present, createdAt }],
        updatedAt: createdAt,
      };
    }
    case 'RepositoryVersionDeleted':
      return {
        ...state,
        versions: state.versions.filter((version) => version.number !== event.data.version),
      };
  }
}

/** Folds a stream's events into its state. */
export function replay(events: Iterable<RepositoryEvent>, state = initialRepositoryState): RepositoryState {
  let current = state;
  for (const event of events) current = evolve(current, event);
  return current;
}
