import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  NotFoundError,
  type CreateDistributionRequest,
  type CreateDistributionTask,
  type DistributionView,
  type ListDistributionsRequest,
  type Page,
  type ProtectedVersions,
  type ProtectedVersionsRequest,
  type ResolvedDistribution,
  type UpdateDistributionRequest,
  type UpdateDistributionTask,
} from '@wharf/contracts';
import {
  decideDistribution,
  DistributionNotFoundError,
  evolveDistribution,
  sameSetting,
  type Distribution,
  type DistributionCommand,
  type DistributionEvent,
} from '@wharf/domain-distribution';
import { DistributionDirectory, toDistributionView } from './distribution-directory.projection.js';
import { DistributionNameClaims } from './distribution-name.claims.js';
import { DistributionStreams } from './distribution.streams.js';
import { DistributionTargets } from './distribution-targets.lookup.js';

/** A command's outcome, decided before the append to check what the domain cannot (targets elsewhere). */
interface Plan {
  readonly before: Distribution | undefined;
  readonly after: Distribution | undefined;
  readonly events: readonly DistributionEvent[];
}

/**
 * Distribution lifecycle: the application service between bus queries, tasks and distribution streams.
 *
 * Names and base paths are unique, and base paths must not overlap: rules over all distributions, decided on
 * a snapshot of the directory. Two writes deciding on the same snapshot could both pass, so writes run one at
 * a time here, and across processes the task registry runs distribution tasks one at a time (they all hold
 * DISTRIBUTIONS_RESOURCE exclusively).
 */
@Injectable()
export class DistributionsService {
  private writes: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly streams: DistributionStreams,
    private readonly directory: DistributionDirectory,
    private readonly claims: DistributionNameClaims,
    private readonly targets: DistributionTargets,
  ) {}

  /** Checks a create request before its task is queued, so a bad one is refused at once; picks the id. */
  async validateCreate(request: CreateDistributionRequest, at: Date): Promise<CreateDistributionTask> {
    const distributionId = randomUUID();
    await this.directory.upToDate();
    await this.plan(this.createCommand(distributionId, request, at));
    return { distributionId, fields: request };
  }

  async validateUpdate(request: UpdateDistributionRequest, at: Date): Promise<UpdateDistributionTask> {
    await this.directory.upToDate();
    await this.plan(this.updateCommand(request.id, request.changes, at));
    return { distributionId: request.id, changes: request.changes };
  }

  /** Runs the create task; running it again after a crash creates nothing more. */
  create(task: CreateDistributionTask, at: Date): Promise<DistributionView> {
    return this.serially(async () => {
      await this.directory.upToDate();
      return this.write(this.createCommand(task.distributionId, task.fields, at));
    });
  }

  update(task: UpdateDistributionTask, at: Date): Promise<DistributionView> {
    return this.serially(async () => {
      await this.directory.upToDate();
      return this.write(this.updateCommand(task.distributionId, task.changes, at));
    });
  }

  delete(distributionId: string, at: Date): Promise<void> {
    return this.serially(async () => {
      const command: DistributionCommand = {
        type: 'DeleteDistribution',
        distributionId,
        at: at.toISOString(),
      };
      const { lastGlobalPosition } = await this.streams.execute(distributionId, command);
      await this.directory.caughtUp(lastGlobalPosition);
    });
  }

  /** Clears the publication of every distribution serving it (it was deleted). */
  stopServingPublication(publicationId: string, at: Date): Promise<void> {
    return this.serially(async () => {
      await this.directory.upToDate();
      for (const distribution of this.directory.servingPublication(publicationId)) {
        await this.write(this.updateCommand(distribution.id, { publicationId: null }, at));
      }
    });
  }

  get(id: string): DistributionView {
    const distribution = this.directory.get(id);
    if (!distribution) throw new DistributionNotFoundError(id);
    return distribution;
  }

  list(request: ListDistributionsRequest): Page<DistributionView> {
    return this.directory.list(request);
  }

  async resolve(basePath: string): Promise<ResolvedDistribution> {
    const distribution = this.directory.findByBasePath(basePath);
    if (!distribution) throw new NotFoundError(`distribution with base path ${basePath}`);
    return this.targets.resolve(distribution);
  }

  versionReferences(request: ProtectedVersionsRequest): ProtectedVersions {
    return { versions: this.directory.servedVersions(request.repositoryId) };
  }

  /** Read after the directory catches up, so a distribution created a moment ago counts. */
  async followsRepository(repositoryId: string): Promise<{ following: boolean }> {
    await this.directory.upToDate();
    return { following: this.directory.followers(repositoryId) > 0 };
  }

  /** Plans (so every refusal comes before any claim is taken), claims what changes, appends. */
  private async write(command: DistributionCommand): Promise<DistributionView> {
    const plan = await this.plan(command);
    if (plan.events.length === 0) return toDistributionView(plan.after!);
    const { state, lastGlobalPosition } = await this.claims.holding(plan.before, plan.after!, () =>
      this.streams.execute(command.distributionId, command),
    );
    await this.directory.caughtUp(lastGlobalPosition);
    return toDistributionView(state!);
  }

  /** Decides the command on the current state; checks that a target it sets exists (a kept one may not). */
  private async plan(command: DistributionCommand): Promise<Plan> {
    const { state: before } = await this.streams.load(command.distributionId);
    const events = decideDistribution(command, before);
    const after = events.reduce(evolveDistribution, before);
    if (after && !after.deleted && (!before || !sameSetting('target', before.target, after.target))) {
      await this.targets.assertExists(after.target);
    }
    return { before, after, events };
  }

  private createCommand(
    distributionId: string,
    fields: CreateDistributionRequest,
    at: Date,
  ): DistributionCommand {
    return {
      type: 'CreateDistribution',
      distributionId,
      fields,
      others: this.directory.summaries(),
      at: at.toISOString(),
    };
  }

  private updateCommand(
    distributionId: string,
    fields: UpdateDistributionRequest['changes'],
    at: Date,
  ): DistributionCommand {
    return {
      type: 'UpdateDistribution',
      distributionId,
      fields,
      others: this.directory.summaries(),
      at: at.toISOString(),
    };
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const result = this.writes.then(work);
    this.writes = result.catch(() => undefined);
    return result;
  }
}
