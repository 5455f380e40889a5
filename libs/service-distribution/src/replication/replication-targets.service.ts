import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Infrastructure, Queries, SecretBox } from '@wharf/runtime';
import type {
  ListReplicationTargetsRequest,
  Page,
  ReplicationTargetInput,
  ReplicationTargetView,
  UpdateReplicationTargetRequest,
} from '@wharf/contracts';
import {
  decideReplicationTarget,
  InvalidReplicationTargetError,
  parseReplicationTargetInput,
  ReplicationTargetNotFoundError,
  REQUIRED_REPLICATION_TARGET_FIELDS,
  type ReplicationTargetCommand,
  type ReplicationTargetState,
} from '@wharf/domain-distribution';
import { DistributionDirectory } from '../distribution-directory.projection.js';
import {
  ReplicationTargetDirectory,
  toReplicationTargetView,
} from './replication-target-directory.projection.js';
import { ReplicationTargetNames, ReplicationTargetStreams } from './replication-target.streams.js';

/** A target's credentials in clear, for the push only. */
export interface ReplicationCredentials {
  readonly username: string | null;
  readonly password: string | null;
}

/**
 * Replication target lifecycle. Credentials are sealed with the runtime SecretBox before anything is decided
 * or stored (as remotes' are), so the clear text lives only in the request and in the push that opens them.
 * Writes are answered at once rather than as tasks: a target is a small record in this service's own log,
 * with no rule across other services' data beyond "the repository or distribution it follows exists".
 */
@Injectable()
export class ReplicationTargetsService {
  private readonly box: SecretBox | undefined;

  constructor(
    private readonly streams: ReplicationTargetStreams,
    private readonly names: ReplicationTargetNames,
    private readonly directory: ReplicationTargetDirectory,
    private readonly distributions: DistributionDirectory,
    private readonly queries: Queries,
    infrastructure: Infrastructure,
  ) {
    const key = infrastructure.settings.secretKey;
    this.box = key ? SecretBox.fromBase64Key(key.reveal()) : undefined;
  }

  async create(input: ReplicationTargetInput, at: Date): Promise<ReplicationTargetView> {
    const fields = parseReplicationTargetInput(input, REQUIRED_REPLICATION_TARGET_FIELDS);
    const command: ReplicationTargetCommand = {
      type: 'CreateReplicationTarget',
      targetId: randomUUID(),
      fields: this.seal(fields),
      at: at.toISOString(),
    };
    decideReplicationTarget(command, undefined);
    await this.assertFollowedExists(fields);
    const { state, lastGlobalPosition } = await this.names.claim(fields.name!, command.targetId, () =>
      this.streams.execute(command.targetId, command),
    );
    await this.directory.caughtUp(lastGlobalPosition);
    return toReplicationTargetView(state!);
  }

  async update(request: UpdateReplicationTargetRequest, at: Date): Promise<ReplicationTargetView> {
    const current = await this.live(request.id);
    const changes = parseReplicationTargetInput(request.input);
    const command: ReplicationTargetCommand = {
      type: 'UpdateReplicationTarget',
      targetId: request.id,
      changes: this.seal(changes),
      at: at.toISOString(),
    };
    decideReplicationTarget(command, current);
    await this.assertFollowedExists(changes);
    const execute = () => this.streams.execute(request.id, command);
    const renamed = changes.name !== undefined && changes.name !== current.settings.name;
    const { state, lastGlobalPosition } = renamed
      ? await this.names.claim(changes.name!, request.id, execute)
      : await execute();
    await this.directory.caughtUp(lastGlobalPosition);
    return toReplicationTargetView(state!);
  }

  async delete(id: string, at: Date): Promise<{ id: string }> {
    await this.live(id);
    const { lastGlobalPosition } = await this.streams.execute(id, {
      type: 'DeleteReplicationTarget',
      targetId: id,
      at: at.toISOString(),
    });
    await this.directory.caughtUp(lastGlobalPosition);
    return { id };
  }

  get(id: string): ReplicationTargetView {
    const state = this.directory.get(id);
    if (!state) throw new ReplicationTargetNotFoundError(id);
    return toReplicationTargetView(state);
  }

  list(request: ListReplicationTargetsRequest): Page<ReplicationTargetView> {
    return this.directory.list(request);
  }

  async live(id: string): Promise<ReplicationTargetState> {
    const { state } = await this.streams.load(id);
    if (!state || state.deleted) throw new ReplicationTargetNotFoundError(id);
    return state;
  }

  credentials(state: ReplicationTargetState): ReplicationCredentials {
    const open = (value: string | null) => (value === null ? null : this.requireBox().open(value));
    return { username: open(state.settings.username), password: open(state.settings.password) };
  }

  private seal(input: ReplicationTargetInput): ReplicationTargetInput {
    const sealed: Record<string, unknown> = { ...input };
    for (const field of ['username', 'password'] as const) {
      const value = input[field];
      if (typeof value === 'string') sealed[field] = this.requireBox().seal(value);
    }
    return sealed as ReplicationTargetInput;
  }

  private requireBox(): SecretBox {
    if (!this.box) {
      throw new Error(
        'replication target credentials cannot be sealed or opened: WHARF_SECRET_KEY is not set ' +
          '(32 random bytes in base64, the same in every process that runs the distribution service)',
      );
    }
    return this.box;
  }

  private async assertFollowedExists(fields: ReplicationTargetInput): Promise<void> {
    if (fields.distributionId && !this.distributions.get(fields.distributionId)) {
      throw new InvalidReplicationTargetError({
        distribution: [`Invalid id "${fields.distributionId}" - object does not exist.`],
      });
    }
    if (fields.repositoryId) {
      try {
        await this.queries.ask('content.repository.get', { id: fields.repositoryId });
      } catch {
        throw new InvalidReplicationTargetError({
          repository: [`Invalid id "${fields.repositoryId}" - object does not exist.`],
        });
      }
    }
  }
}
