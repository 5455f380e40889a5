import type { Page } from './repository.contract.js';
import type { VersionRef } from './versions.contract.js';

/*
 * Publications over the bus, answered by the publication service. A publication is an immutable serving
 * snapshot of one repository version (Pulp's container.ContainerPublication). Creating and deleting one
 * run as tasks on the publication worker; the gateway first asks `publication.validate-create`, which
 * refuses a bad request at once (a 400 rather than a failed task) and returns the task's payload.
 */

export interface PublicationView {
  readonly id: string;
  readonly repositoryId: string;
  readonly repositoryVersion: number;
  readonly createdAt: string;
}

/** Exactly one of the two: a repository (its latest version when the request is validated) or a version. */
export interface CreatePublicationRequest {
  readonly repositoryId?: string;
  readonly repositoryVersion?: VersionRef;
}

/** Payload of the create task: the publication's id and the version it will serve, already resolved. */
export interface CreatePublicationTask {
  readonly publicationId: string;
  readonly repositoryId: string;
  readonly repositoryVersion: number;
}

export interface DeletePublicationTask {
  readonly publicationId: string;
}

export interface ListPublicationsRequest {
  readonly repositoryId?: string;
  readonly repositoryVersion?: VersionRef;
  readonly offset: number;
  readonly limit: number;
}

/** A repository's latest publication (see `publication.latest`) and the one before it, of a lower version. */
export interface LatestPublications {
  readonly publication: PublicationView | null;
  readonly previous: PublicationView | null;
}

export interface ProtectedVersionsRequest {
  /** Only this repository's versions; every repository's when absent. */
  readonly repositoryId?: string;
}

/** Repository versions something serves, which retention must keep. Each pair appears once. */
export interface ProtectedVersions {
  readonly versions: readonly VersionRef[];
}

/**
 * The data of the PublicationDeleted event on the bus. Pulp stops a distribution serving a publication
 * that is deleted; the distribution service follows these events to do the same.
 */
export interface PublicationDeletedEventData {
  readonly publicationId: string;
  readonly deletedAt: string;
}

export const PUBLICATION_DELETED_SUBJECT = 'events.publication.PublicationDeleted';

/**
 * A new repository version on the bus (the commit event of `repository-<id>`); the publication service
 * follows these to publish versions of repositories that distributions follow.
 */
export interface RepositoryVersionCreatedEventData {
  readonly version: number;
}

export const REPOSITORY_VERSION_CREATED_SUBJECT = 'events.repository.RepositoryVersionCreated';
export const REPOSITORY_STREAM_PREFIX = 'repository-';

export const PUBLICATION_WORKER = 'publication';

/** Task names as Pulp's task list shows them; the publication worker's handlers are registered under them. */
export const PUBLICATION_TASKS = {
  create: 'pulp_container.app.tasks.publish',
  delete: 'pulpcore.app.tasks.base.general_delete',
} as const;

/** Where clients find publications; create tasks report their publication's href (`created_resources`). */
export const PUBLICATIONS_HREF_ROOT = '/pulp/api/v3/publications/container/container/';

export function publicationHref(id: string): string {
  return `${PUBLICATIONS_HREF_ROOT}${id}/`;
}

export interface PublicationQueryMap {
  'publication.validate-create': { request: CreatePublicationRequest; response: CreatePublicationTask };
  'publication.get': { request: { id: string }; response: PublicationView };
  'publication.list': { request: ListPublicationsRequest; response: Page<PublicationView> };
  /**
   * The repository's live publication of its highest version (the newest of those), or null: what a
   * distribution that follows the repository serves; with the latest of a lower version before it.
   */
  'publication.latest': { request: { repositoryId: string }; response: LatestPublications };
  /** The versions publications and distributions point at (a distribution's `repository_version`). */
  'publication.protected-versions': { request: ProtectedVersionsRequest; response: ProtectedVersions };
}
