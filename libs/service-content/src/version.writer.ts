import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { RepositoryVersionView, VersionRef, VersionWriteResult } from '@wharf/contracts';
import {
  RepositoryNotFoundError,
  StaleChangeError,
  summarize,
  type RepositoryState,
  type VersionChange,
} from '@wharf/domain-content';
import { ProtectedVersionError } from './content.errors.js';
import { ContentReader } from './content.reader.js';
import { ContentWriteGate } from './content-write.gate.js';
import { RepositoryDirectory } from './repository-directory.projection.js';
import { RepositoryWriteLocks } from './repository-write-locks.js';
import { RepositoryStreams, type Loaded } from './repository.streams.js';
import { VersionIndexProjection } from './version-index.projection.js';
import { VersionProtection } from './version-protection.js';

/**
 * How often a change is planned again because another process recorded a version first. Writers in this
 * process queue per repository and never race each other, so this only bounds races between processes.
 */
const MAX_PLANS = 20;

/** What a plan may rely on: the repository as it is now, with the version index caught up to it. */
export interface PlanContext {
  readonly repositoryId: string;
  readonly state: RepositoryState;
  readonly latest: number;
}

export interface PlannedVersion {
  /** Relative to the latest version: added keys absent from it, removed keys present in it. */
  readonly change: VersionChange;
  /** Recorded as the version's base_version; null when the change was based on the latest. */
  readonly baseVersion: number | null;
}

/**
 * Turns plans into versions, one repository at a time: wait until the index shows the latest version,
 * plan against it, record the change as a RecordVersion that names that latest version, and wait until
 * the new version is readable. A version recorded in between (by another process) makes the change stale;
 * it is then planned again from scratch, so no writer's update is ever lost or applied to content it was
 * not planned for.
 */
@Injectable()
export class VersionWriter {
  constructor(
    private readonly streams: RepositoryStreams,
    private readonly directory: RepositoryDirectory,
    private readonly projection: VersionIndexProjection,
    private readonly reader: ContentReader,
    private readonly locks: RepositoryWriteLocks,
    private readonly gate: ContentWriteGate,
    private readonly protection: VersionProtection,
  ) {}

  write(
    repositoryId: string,
    at: Date,
    plan: (context: PlanContext) => Promise<PlannedVersion>,
  ): Promise<VersionWriteResult> {
    return this.gate.shared(() =>
      this.locks.run(repositoryId, () => this.planAndRecord(repositoryId, at, plan)),
    );
  }

  /** Deletes an old version, unless a publication or distribution still serves it. */
  deleteVersion(repositoryId: string, version: number, at: Date): Promise<VersionRef> {
    return this.locks.run(repositoryId, async () => {
      await this.loadActive(repositoryId);
      if ((await this.protection.protectedVersions(repositoryId)).has(version)) {
        throw new ProtectedVersionError(repositoryId, version);
      }
      const executed = await this.streams.execute(repositoryId, () => ({
        type: 'DeleteVersion',
        repositoryId,
        version,
        at: at.toISOString(),
      }));
      await this.readable(executed.lastGlobalPosition);
      return { repositoryId, version };
    });
  }

  private async planAndRecord(
    repositoryId: string,
    at: Date,
    plan: (context: PlanContext) => Promise<PlannedVersion>,
  ): Promise<VersionWriteResult> {
    for (let attempt = 1; ; attempt++) {
      const loaded = await this.loadActive(repositoryId);
      await this.projection.current(repositoryId, loaded);
      const { state } = loaded;
      const planned = await plan({ repositoryId, state, latest: state.latestVersion });
      if (planned.change.added.length === 0 && planned.change.removed.length === 0) {
        return { version: await this.reader.versionView(state, state.latestVersion), created: false };
      }
      try {
        return { version: await this.record(state, planned, at), created: true };
      } catch (error) {
        if (!(error instanceof StaleChangeError) || attempt >= MAX_PLANS) throw error;
      }
    }
  }

  private async record(
    state: RepositoryState,
    planned: PlannedVersion,
    at: Date,
  ): Promise<RepositoryVersionView> {
    const latest = state.versions.find((version) => version.number === state.latestVersion);
    if (!latest) {
      throw new Error(`repository ${state.repositoryId}: latest version ${state.latestVersion} is not live`);
    }
    const { added, removed } = planned.change;
    const { present } = summarize(planned.change, latest.present);
    const keep = await this.protection.protectedVersions(state.repositoryId);
    const executed = await this.streams.execute(
      state.repositoryId,
      () => ({
        type: 'RecordVersion',
        repositoryId: state.repositoryId,
        // Fresh for every append attempt, so a retry never claims chunks a failed attempt left behind.
        changeId: randomUUID(),
        baseVersion: planned.baseVersion,
        expectedLatestVersion: state.latestVersion,
        added,
        removed,
        present,
        at: at.toISOString(),
      }),
      keep,
    );
    await this.readable(executed.lastGlobalPosition);
    return this.reader.versionView(executed.state, executed.state.latestVersion);
  }

  /** Both read models show the append: the version index (units) and the directory (latest version). */
  private async readable(globalPosition: number): Promise<void> {
    await Promise.all([this.projection.caughtUp(globalPosition), this.directory.caughtUp(globalPosition)]);
  }

  private async loadActive(repositoryId: string): Promise<Loaded> {
    const loaded = await this.streams.load(String(repositoryId));
    if (!loaded.state.exists || loaded.state.deleted) throw new RepositoryNotFoundError(String(repositoryId));
    return loaded;
  }
}
