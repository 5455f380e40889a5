import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Queries } from '@wharf/runtime';
import {
  ValidationError,
  type CreatePublicationRequest,
  type CreatePublicationTask,
  type ListPublicationsRequest,
  type Page,
  type ProtectedVersions,
  type ProtectedVersionsRequest,
  type PublicationView,
  type VersionRef,
} from '@wharf/contracts';
import {
  decidePublication,
  PublicationNotFoundError,
  type PublicationCommand,
} from '@wharf/domain-publication';
import { PublicationDirectory, toPublicationView } from './publication-directory.projection.js';
import { PublicationStreams } from './publication.streams.js';
import { RepositoryVersionsLookup } from './repository-versions.lookup.js';

/** Publication lifecycle: the application service between bus queries, tasks and publication streams. */
@Injectable()
export class PublicationsService {
  constructor(
    private readonly streams: PublicationStreams,
    private readonly directory: PublicationDirectory,
    private readonly versions: RepositoryVersionsLookup,
    private readonly queries: Queries,
  ) {}

  /**
   * Checks a create request before its task is queued, so a bad one is refused at once, and settles what the
   * task will do: a new id, and the version to publish (a repository's latest version *now*, as in Pulp).
   */
  async validateCreate(request: CreatePublicationRequest, at: Date): Promise<CreatePublicationTask> {
    const source = await this.sourceOf(request);
    const task: CreatePublicationTask = {
      publicationId: randomUUID(),
      repositoryId: source.repositoryId,
      repositoryVersion: source.version,
    };
    decidePublication(createCommand(task, at), undefined);
    await this.versions.assertExists(source);
    return task;
  }

  private async sourceOf(request: CreatePublicationRequest): Promise<VersionRef> {
    if (request.repositoryVersion && request.repositoryId === undefined) return request.repositoryVersion;
    if (request.repositoryId !== undefined && !request.repositoryVersion) {
      return {
        repositoryId: request.repositoryId,
        version: await this.versions.latestVersion(request.repositoryId),
      };
    }
    throw new ValidationError({
      non_field_errors: ["Give either 'repository' or 'repository_version', not both and not neither."],
    });
  }

  /** Runs the create task; running it again after a crash creates nothing more. */
  async create(task: CreatePublicationTask, at: Date): Promise<PublicationView> {
    // Retention may have deleted the version since the request was checked.
    await this.versions.assertExists({ repositoryId: task.repositoryId, version: task.repositoryVersion });
    const { state, lastGlobalPosition } = await this.streams.execute(
      task.publicationId,
      createCommand(task, at),
    );
    await this.directory.caughtUp(lastGlobalPosition);
    return toPublicationView(state!);
  }

  async delete(publicationId: string, at: Date): Promise<void> {
    const { lastGlobalPosition } = await this.streams.execute(publicationId, {
      type: 'DeletePublication',
      publicationId,
      at: at.toISOString(),
    });
    await this.directory.caughtUp(lastGlobalPosition);
  }

  get(id: string): PublicationView {
    const publication = this.directory.get(id);
    if (!publication) throw new PublicationNotFoundError(id);
    return publication;
  }

  list(request: ListPublicationsRequest): Page<PublicationView> {
    return this.directory.list(request);
  }

  /**
   * Versions retention must keep: those publications serve, and those distributions serve directly (asked of
   * the distribution service; if it cannot answer, this fails rather than leave its versions unprotected).
   */
  async protectedVersions(request: ProtectedVersionsRequest): Promise<ProtectedVersions> {
    const served = await this.queries.ask('distribution.version-references', request);
    const unique = new Map<string, VersionRef>();
    for (const ref of [...this.directory.publishedVersions(request.repositoryId), ...served.versions]) {
      unique.set(`${ref.repositoryId}/${ref.version}`, {
        repositoryId: ref.repositoryId,
        version: ref.version,
      });
    }
    const versions = [...unique.values()].sort(
      (a, b) => a.repositoryId.localeCompare(b.repositoryId) || a.version - b.version,
    );
    return { versions };
  }
}

function createCommand(task: CreatePublicationTask, at: Date): PublicationCommand {
  return {
    type: 'CreatePublication',
    publicationId: task.publicationId,
    repositoryId: task.repositoryId,
    repositoryVersion: task.repositoryVersion,
    at: at.toISOString(),
  };
}
