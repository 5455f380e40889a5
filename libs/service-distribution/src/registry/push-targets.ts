import { Injectable } from '@nestjs/common';
import {
  DISTRIBUTION_TASKS,
  DISTRIBUTION_WORKER,
  DISTRIBUTIONS_RESOURCE,
  NotFoundError,
  type CreateDistributionTask,
  type TaskView,
} from '@wharf/contracts';
import { RemoteError } from '@wharf/ports';
import { Queries } from '@wharf/runtime';
import { DistributionsService } from '../distributions.service.js';
import { RegistryError } from './registry.errors.js';

/** How long a push waits for the task creating its distribution. */
const DISTRIBUTION_TASK_TIMEOUT_MS = 60_000;
const POLL_MS = 25;

/**
 * The repository a push to a name writes to: the one whose latest version the name's distribution serves,
 * or, for a name no distribution has, a repository of that name (found or created) with a new distribution
 * serving it at that base path. The distribution is created by the same task every other distribution write
 * runs as, so its base-path rules hold across replicas.
 */
@Injectable()
export class PushTargets {
  /** Names being set up in this process, so concurrent pushes of one new name create it once. */
  private readonly settingUp = new Map<string, Promise<string>>();

  constructor(
    private readonly queries: Queries,
    private readonly distributions: DistributionsService,
  ) {}

  /** The repository id for `name`, or undefined when nothing serves it (for deletes, which create nothing). */
  async existing(name: string): Promise<string | undefined> {
    let resolved;
    try {
      resolved = await this.distributions.resolve(name);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
    const { distribution } = resolved;
    if (distribution.repositoryId === null) {
      const serves = distribution.publicationId !== null ? 'a publication' : 'a fixed repository version';
      throw new RegistryError(
        'DENIED',
        `distribution ${distribution.name} at ${name} serves ${serves}; push to a name that serves a repository`,
        { name },
      );
    }
    return distribution.repositoryId;
  }

  async repositoryFor(name: string): Promise<string> {
    const existing = await this.existing(name);
    if (existing !== undefined) return existing;
    const pending = this.settingUp.get(name);
    if (pending) return pending;
    const created = this.create(name).finally(() => this.settingUp.delete(name));
    this.settingUp.set(name, created);
    return created;
  }

  private async create(name: string): Promise<string> {
    // Checked before the repository is made, so a refused name leaves nothing behind.
    await this.validate(name);
    const repositoryId = await this.repositoryNamed(name);
    const payload = await this.validate(name, repositoryId);
    const task = await this.settled(
      await this.queries.ask('tasks.dispatch', {
        name: DISTRIBUTION_TASKS.create,
        worker: DISTRIBUTION_WORKER,
        payload,
        exclusiveResources: [DISTRIBUTIONS_RESOURCE],
      }),
    );
    if (task.state !== 'completed') {
      // Another push (on another replica) may have created the same distribution first.
      const raced = await this.existing(name).catch(() => undefined);
      if (raced !== undefined) return raced;
      throw new Error(
        `creating the distribution for ${name} failed: ${task.error?.description ?? task.state}`,
      );
    }
    return repositoryId;
  }

  private validate(name: string, repositoryId?: string): Promise<CreateDistributionTask> {
    return this.queries
      .ask('distribution.validate-create', { name, basePath: name, ...(repositoryId && { repositoryId }) })
      .catch((error: unknown) => {
        // A distribution of that name elsewhere, or a base path overlapping another's: the user must decide.
        if (error instanceof RemoteError && /Validation|Conflict/.test(error.remoteName)) {
          throw new RegistryError('DENIED', `cannot create a distribution at ${name}: ${error.message}`, {
            name,
          });
        }
        throw error;
      });
  }

  private async repositoryNamed(name: string): Promise<string> {
    const found = await this.queries.ask('content.repository.list', { name, offset: 0, limit: 1 });
    if (found.results[0]) return found.results[0].id;
    try {
      return (await this.queries.ask('content.repository.create', { name })).id;
    } catch (error) {
      const again = await this.queries.ask('content.repository.list', { name, offset: 0, limit: 1 });
      if (again.results[0]) return again.results[0].id;
      throw error instanceof RemoteError ? new Error(error.message) : error;
    }
  }

  private async settled(task: TaskView): Promise<TaskView> {
    const deadline = Date.now() + DISTRIBUTION_TASK_TIMEOUT_MS;
    for (let current = task; Date.now() < deadline;) {
      if (['completed', 'failed', 'canceled'].includes(current.state)) return current;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      current = await this.queries.ask('tasks.get', { id: task.id });
    }
    throw new Error(`the task creating a distribution (${task.id}) did not finish in time`);
  }
}
