import { Injectable, Logger } from '@nestjs/common';
import { BlobStore } from '@wharf/ports';
import { Queries, TaskCanceledError, type TaskOutcome } from '@wharf/runtime';
import {
  DISTRIBUTION_WORKER,
  REPLICATION_TASKS,
  replicationTargetHref,
  type ProgressReport,
  type ReplicateTaskPayload,
  type VersionRef,
} from '@wharf/contracts';
import type { ReplicationTargetState } from '@wharf/domain-distribution';
import { RegistryClient } from '@wharf/registry-client';
import { DistributionsService } from '../distributions.service.js';
import { ReplicationTargetDirectory } from './replication-target-directory.projection.js';
import { ReplicationTargetsService } from './replication-targets.service.js';
import { RegistryReplicator, replicationProgress } from './registry.replicator.js';
import { VersionContentReader } from './version-content.reader.js';

const PUSH_CONCURRENCY = 4;

/**
 * Pushes repository versions to replication targets: by hand (the replicate task) or by itself when the
 * repository a target follows gets a new version and the target has `auto`. The distribution service owns
 * this because it is distribution by other means: the same version a base path serves, served elsewhere.
 */
@Injectable()
export class ReplicationService {
  private readonly logger = new Logger('replication');

  constructor(
    private readonly targets: ReplicationTargetsService,
    private readonly directory: ReplicationTargetDirectory,
    private readonly distributions: DistributionsService,
    private readonly queries: Queries,
    private readonly blobs: BlobStore,
  ) {}

  async replicate(
    payload: ReplicateTaskPayload,
    send: (reports: readonly ProgressReport[]) => Promise<void>,
  ): Promise<TaskOutcome> {
    const target = await this.targets.live(payload.targetId);
    const version = await this.sourceVersion(target, payload.version);
    const { username, password } = this.targets.credentials(target);
    const { url, path, tlsValidation, caCert, mirror } = target.settings;
    const client = new RegistryClient({
      url,
      ...(username !== null && { username, password: password ?? '' }),
      tls: { ca: caCert ?? undefined, rejectUnauthorized: tlsValidation },
      concurrency: PUSH_CONCURRENCY * 2,
    });
    try {
      const reader = new VersionContentReader(this.queries, this.blobs);
      const content = await reader.read(version);
      const replicator = new RegistryReplicator(
        reader,
        { client, name: path },
        { mirror, concurrency: PUSH_CONCURRENCY },
        replicationProgress(send),
      );
      const result = await replicator.replicate(content);
      return { result: { ...result, repositoryVersion: version } };
    } catch (error) {
      if (error instanceof TaskCanceledError) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(
        `replicating version ${version.version} of repository ${version.repositoryId} to target ` +
          `${target.settings.name} (${url}/${path}) failed: ${reason}`,
        { cause: error },
      );
    } finally {
      await client.close();
    }
  }

  /** Queues a replicate task for every `auto` target following the repository that got `version`. */
  async versionCreated(version: VersionRef): Promise<void> {
    await this.directory.caughtUpNow();
    for (const target of this.directory.live()) {
      if (!target.settings.auto || !(await this.follows(target, version.repositoryId))) continue;
      const payload: ReplicateTaskPayload = { targetId: target.targetId, version: version.version };
      const task = await this.queries.ask('tasks.dispatch', {
        name: REPLICATION_TASKS.replicate,
        worker: DISTRIBUTION_WORKER,
        payload,
        exclusiveResources: [replicationTargetHref(target.targetId)],
      });
      this.logger.log(
        `version ${version.version} of repository ${version.repositoryId}: replicate task ${task.id} ` +
          `queued for target ${target.settings.name}`,
      );
    }
  }

  /** Whether the target pushes what the repository's latest version holds. */
  private async follows(target: ReplicationTargetState, repositoryId: string): Promise<boolean> {
    const { repositoryId: followed, distributionId } = target.settings;
    if (followed !== null) return followed === repositoryId;
    if (distributionId === null) return false;
    try {
      const distribution = this.distributions.get(distributionId);
      const resolved = await this.distributions.resolve(distribution.basePath);
      return resolved.version === 'latest' && resolved.repositoryId === repositoryId;
    } catch {
      // A distribution deleted since the target was set up follows nothing; the event must not fail for it.
      return false;
    }
  }

  /** The version a push sends: the one asked for, else what the target follows now. */
  private async sourceVersion(
    target: ReplicationTargetState,
    asked: number | undefined,
  ): Promise<VersionRef> {
    const { repositoryId, distributionId } = target.settings;
    let source: { repositoryId: string | null; version: number | 'latest' | null };
    if (repositoryId !== null) {
      source = { repositoryId, version: 'latest' };
    } else {
      const distribution = this.distributions.get(distributionId!);
      source = await this.distributions.resolve(distribution.basePath);
    }
    if (source.repositoryId === null || source.version === null) {
      throw new Error(`replication target ${target.settings.name}: its distribution serves no content`);
    }
    if (asked !== undefined) return { repositoryId: source.repositoryId, version: asked };
    if (source.version !== 'latest') return { repositoryId: source.repositoryId, version: source.version };
    const repository = await this.queries.ask('content.repository.get', { id: source.repositoryId });
    return { repositoryId: source.repositoryId, version: repository.latestVersion };
  }
}
