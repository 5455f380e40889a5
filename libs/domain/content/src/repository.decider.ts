import type { UnitKey } from '@wharf/contracts';
import { sameCounts, summarize, type UnitCounts } from './content-summary.model.js';
import type {
  CreateRepository,
  DeleteRepository,
  DeleteVersion,
  RecordVersion,
  RepositoryCommand,
  UpdateRepository,
} from './repository.commands.js';
import {
  InconsistentChangeError,
  InvalidRepositoryError,
  LatestVersionDeletionError,
  RepositoryAlreadyExistsError,
  RepositoryNotFoundError,
  StaleChangeError,
  VersionNotFoundError,
} from './repository.errors.js';
import { CHUNK_SIZE, type RepositoryChanges, type RepositoryEvent } from './repository.events.js';
import type { RepositoryState, VersionInfo } from './repository.state.js';
import { assertValidUnitKey } from './unit-key.validation.js';

/** Decides what a command changes: the events to append, or a typed error. Pure. */
export function decide(command: RepositoryCommand, state: RepositoryState): RepositoryEvent[] {
  switch (command.type) {
    case 'CreateRepository':
      return createRepository(command, state);
    case 'UpdateRepository':
      return updateRepository(command, state);
    case 'DeleteRepository':
      return deleteRepository(command, state);
    case 'RecordVersion':
      return recordVersion(command, state);
    case 'DeleteVersion':
      return deleteVersion(command, state);
  }
}

const CHANGEABLE_SETTINGS = ['name', 'description', 'retainRepoVersions', 'remote'] as const;

function assertActive(state: RepositoryState, repositoryId: string): void {
  if (!state.exists || state.deleted) throw new RepositoryNotFoundError(repositoryId);
}

function settingErrors(settings: RepositoryChanges): Record<string, string[]> {
  const errors: Record<string, string[]> = {};
  if (settings.name !== undefined && settings.name.trim() === '')
    errors['name'] = ['This field may not be blank.'];
  const retain = settings.retainRepoVersions;
  if (retain !== undefined && retain !== null && !(Number.isSafeInteger(retain) && retain >= 1)) {
    errors['retain_repo_versions'] = ['Ensure this value is a whole number greater than or equal to 1.'];
  }
  return errors;
}

function assertValidSettings(settings: RepositoryChanges): void {
  const errors = settingErrors(settings);
  if (Object.keys(errors).length > 0) throw new InvalidRepositoryError(errors);
}

/**
 * Pulp's retain_repo_versions: once more versions are live than the repository keeps, the oldest go.
 * The deletions follow the commit that caused them; if they are lost in a crash, the next change prunes.
 */
function prune(versions: readonly number[], retain: number | null, at: string): RepositoryEvent[] {
  if (retain === null || versions.length <= retain) return [];
  return versions
    .slice(0, versions.length - retain)
    .map((version) => ({ type: 'RepositoryVersionDeleted', data: { version, deletedAt: at } }));
}

function createRepository(command: CreateRepository, state: RepositoryState): RepositoryEvent[] {
  if (state.exists) throw new RepositoryAlreadyExistsError(command.repositoryId);
  if (typeof command.name !== 'string') {
    throw new InvalidRepositoryError({ name: ['This field is required.'] });
  }
  assertValidSettings(command);
  return [
    {
      type: 'RepositoryCreated',
      data: {
        repositoryId: command.repositoryId,
        name: command.name,
        description: command.description ?? null,
        retainRepoVersions: command.retainRepoVersions ?? null,
        remote: command.remote ?? null,
        createdAt: command.at,
      },
    },
  ];
}

function updateRepository(command: UpdateRepository, state: RepositoryState): RepositoryEvent[] {
  assertActive(state, command.repositoryId);
  assertValidSettings(command.changes);
  // Only known settings, and only those that differ: an update that changes nothing records nothing.
  const changes = Object.fromEntries(
    CHANGEABLE_SETTINGS.filter((field) => {
      const value = command.changes[field];
      return value !== undefined && value !== state[field];
    }).map((field) => [field, command.changes[field]]),
  ) as RepositoryChanges;
  if (Object.keys(changes).length === 0) return [];
  const retain =
    changes.retainRepoVersions !== undefined ? changes.retainRepoVersions : state.retainRepoVersions;
  return [
    { type: 'RepositoryUpdated', data: { changes, updatedAt: command.at } },
    ...prune(
      state.versions.map((version) => version.number),
      retain,
      command.at,
    ),
  ];
}

function deleteRepository(command: DeleteRepository, state: RepositoryState): RepositoryEvent[] {
  assertActive(state, command.repositoryId);
  return [{ type: 'RepositoryDeleted', data: { deletedAt: command.at } }];
}

function chunksOf(keys: readonly UnitKey[]): UnitKey[][] {
  const chunks: UnitKey[][] = [];
  for (let start = 0; start < keys.length; start += CHUNK_SIZE)
    chunks.push(keys.slice(start, start + CHUNK_SIZE));
  return chunks;
}

function assertWellFormedChange(command: RecordVersion): void {
  const added = new Set<UnitKey>();
  for (const key of command.added) {
    assertValidUnitKey(key);
    if (added.has(key)) throw new InconsistentChangeError(command.repositoryId, `${key} is added twice`);
    added.add(key);
  }
  const removed = new Set<UnitKey>();
  for (const key of command.removed) {
    assertValidUnitKey(key);
    if (removed.has(key)) throw new InconsistentChangeError(command.repositoryId, `${key} is removed twice`);
    if (added.has(key))
      throw new InconsistentChangeError(command.repositoryId, `${key} is added and removed`);
    removed.add(key);
  }
}

function latestVersionOf(state: RepositoryState): VersionInfo {
  const latest = state.versions.find((version) => version.number === state.latestVersion);
  // Unreachable through decide (the latest version cannot be deleted); guards hand-built states.
  if (!latest)
    throw new Error(`repository ${state.repositoryId}: latest version ${state.latestVersion} is not live`);
  return latest;
}

function describeCounts(counts: UnitCounts): string {
  return `${counts.blob} blobs, ${counts.manifest} manifests, ${counts.tag} tags`;
}

function recordVersion(command: RecordVersion, state: RepositoryState): RepositoryEvent[] {
  assertActive(state, command.repositoryId);
  if (command.expectedLatestVersion !== state.latestVersion) {
    throw new StaleChangeError(command.repositoryId, command.expectedLatestVersion, state.latestVersion);
  }
  const { baseVersion } = command;
  if (baseVersion !== null && !state.versions.some((version) => version.number === baseVersion)) {
    throw new VersionNotFoundError(command.repositoryId, baseVersion);
  }
  // An unchanged sync or a no-op modify must not mint a version.
  if (command.added.length === 0 && command.removed.length === 0) return [];
  assertWellFormedChange(command);

  const summary = summarize(command, latestVersionOf(state).present);
  if (!sameCounts(summary.present, command.present)) {
    throw new InconsistentChangeError(
      command.repositoryId,
      `version ${state.latestVersion} + this change has ${describeCounts(summary.present)}, ` +
        `but ${describeCounts(command.present)} were announced`,
    );
  }
  const version = state.latestVersion + 1;
  const { changeId } = command;
  const content: RepositoryEvent[] = [
    ...chunksOf(command.added).map((units): RepositoryEvent => ({
      type: 'VersionContentAdded',
      data: { changeId, version, units },
    })),
    ...chunksOf(command.removed).map((units): RepositoryEvent => ({
      type: 'VersionContentRemoved',
      data: { changeId, version, units },
    })),
  ];
  return [
    ...content,
    {
      type: 'RepositoryVersionCreated',
      data: { changeId, version, baseVersion, chunks: content.length, summary, createdAt: command.at },
    },
    ...prune([...state.versions.map((live) => live.number), version], state.retainRepoVersions, command.at),
  ];
}

function deleteVersion(command: DeleteVersion, state: RepositoryState): RepositoryEvent[] {
  assertActive(state, command.repositoryId);
  if (!state.versions.some((version) => version.number === command.version)) {
    throw new VersionNotFoundError(command.repositoryId, command.version);
  }
  if (command.version === state.latestVersion) {
    throw new LatestVersionDeletionError(command.repositoryId, command.version);
  }
  return [{ type: 'RepositoryVersionDeleted', data: { version: command.version, deletedAt: command.at } }];
}
