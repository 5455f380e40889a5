import { createHash, randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Queries } from '@wharf/runtime';
import {
  ValidationError,
  type CreatePublicationRequest,
  type CreatePublicationTask,
  type LatestPublications,
  type ListPublicationsRequest,
  type Page,
  type ProtectedVersions,
  type ProtectedVersionsRequest,
  type PublicationView,
  type VersionRef,
} from '@wharf/contracts';
import {
  decidePublication,
  PublicationAlreadyExistsError,
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

  /**
   * Publishes a version of a repository that a distribution follows, under an id derived from the pair: a
   * redelivered event, or a second trigger for the same version, finds that publication and makes no other.
   * One that was made and then deleted stays deleted.
   */
  async publishAutomatically(repositoryId: string, version: number, at: Date): Promise<void> {
    const publicationId = automaticPublicationId(repositoryId, version);
    try {
      const { lastGlobalPosition } = await this.streams.execute(
        publicationId,
        createCommand({ publicationId, repositoryId, repositoryVersion: version }, at),
      );
      await this.directory.caughtUp(lastGlobalPosition);
    } catch (error) {
      if (!(error instanceof PublicationAlreadyExistsError)) throw error;
    }
  }

  /** What a distribution following the repository serves, and what it served before. */
  latest(repositoryId: string): LatestPublications {
    return this.directory.latestOf(repositoryId);
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
   * Automatic publications protect only the newest of a repository's: older ones were made for versions that
   * the following distributions have moved past, and must not keep every version of a followed repository.
   */
  async protectedVersions(request: ProtectedVersionsRequest): Promise<ProtectedVersions> {
    const served = await this.queries.ask('distribution.version-references', request);
    const published = this.directory.publishedVersions(request.repositoryId, isAutomatic);
    const unique = new Map<string, VersionRef>();
    for (const ref of [...published, ...served.versions]) {
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

/**
 * The id of the automatic publication of a version: a UUID (version 8, RFC 9562) made of the sha256 of the
 * pair, so every process that publishes the version picks the same one.
 */
export function automaticPublicationId(repositoryId: string, version: number): string {
  const bytes = createHash('sha256').update(`automatic publication ${repositoryId} ${version}`).digest();
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function isAutomatic(publication: PublicationView): boolean {
  return publication.id === automaticPublicationId(publication.repositoryId, publication.repositoryVersion);
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
