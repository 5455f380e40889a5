import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import {
  NotFoundError,
  type CreateRepositoryRequest,
  type RepositoryView,
  type UpdateRepositoryRequest,
} from '@wharf/contracts';
import { decide, initialRepositoryState, type CreateRepository } from '@wharf/domain-content';
import { RepositoryDirectory, toView } from './repository-directory.projection.js';
import { RepositoryNames } from './repository-names.js';
import { RepositoryStreams } from './repository.streams.js';

/** Repository lifecycle: the application service between bus queries and the repository streams. */
@Injectable()
export class RepositoriesService {
  constructor(
    private readonly streams: RepositoryStreams,
    private readonly names: RepositoryNames,
    private readonly directory: RepositoryDirectory,
  ) {}

  async create(request: CreateRepositoryRequest, at: Date): Promise<RepositoryView> {
    const command: CreateRepository = {
      type: 'CreateRepository',
      repositoryId: randomUUID(),
      name: request.name,
      description: request.description ?? null,
      retainRepoVersions: request.retainRepoVersions ?? null,
      remote: request.remote ?? null,
      at: at.toISOString(),
    };
    // Validate before claiming the name, so a rejected request leaves no claim behind.
    decide(command, initialRepositoryState);
    // A crash between claim and creation leaves a claim by a repository that never existed; such a claim
    // does not count, so the name stays free.
    const { state, lastGlobalPosition } = await this.names.claim(command.name, command.repositoryId, () =>
      this.streams.execute(command.repositoryId, () => command),
    );
    await this.directory.caughtUp(lastGlobalPosition);
    return toView(state);
  }

  /** Changes settings; a new name is claimed first, so two repositories never share one. */
  async update(request: UpdateRepositoryRequest, at: Date): Promise<RepositoryView> {
    const current = this.get(request.id);
    const { name } = request.changes;
    const update = () =>
      this.streams.execute(request.id, () => ({
        type: 'UpdateRepository',
        repositoryId: request.id,
        changes: request.changes,
        at: at.toISOString(),
      }));
    const renamed = name !== undefined && name !== current.name;
    const { state, lastGlobalPosition } = renamed
      ? await this.names.claim(name, request.id, update)
      : await update();
    await this.directory.caughtUp(lastGlobalPosition);
    return toView(state);
  }

  /** Deletes the repository; its versions leave the index, its units stay in the catalog until orphan cleanup. */
  async delete(id: string, at: Date): Promise<{ id: string }> {
    this.get(id);
    const { lastGlobalPosition } = await this.streams.execute(id, () => ({
      type: 'DeleteRepository',
      repositoryId: id,
      at: at.toISOString(),
    }));
    await this.directory.caughtUp(lastGlobalPosition);
    return { id };
  }

  get(id: string): RepositoryView {
    const repository = this.directory.get(id);
    if (!repository) throw new NotFoundError(`repository ${id}`);
    return repository;
  }
}
