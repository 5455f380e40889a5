import type { ProtectedVersions, ProtectedVersionsRequest } from './publications.contract.js';
import type { Page } from './repository.contract.js';
import type { VersionRef } from './versions.contract.js';

/*
 * Distributions over the bus, answered by the distribution service. A distribution serves content at a
 * base path (Pulp's container.ContainerDistribution): the latest version of a repository, one repository
 * version, or a publication. Create, update and delete run as tasks on the distribution worker; the gateway
 * first asks `distribution.validate-create` / `-update`, which refuse a bad request at once and return the
 * task's payload.
 */

/** What a distribution serves; at most one of these is set. */
export interface DistributionTargetFields {
  /** Serve the repository's latest version, whatever it is when a client pulls. */
  readonly repositoryId?: string | null;
  readonly repositoryVersion?: VersionRef | null;
  readonly publicationId?: string | null;
}

/**
 * A distribution's settings as a request gives them, in Pulp's semantics: an absent field keeps its
 * current value (or its default on create), `null` clears it.
 */
export interface DistributionFields extends DistributionTargetFields {
  readonly name?: string;
  /** The OCI repository name clients pull by (`team/app`); never a path prefix of another's. */
  readonly basePath?: string;
  readonly private?: boolean;
  readonly hidden?: boolean;
  readonly description?: string | null;
  readonly pulpLabels?: Readonly<Record<string, string>>;
}

export interface CreateDistributionRequest extends DistributionFields {
  readonly name: string;
  readonly basePath: string;
}

export interface UpdateDistributionRequest {
  readonly id: string;
  readonly changes: DistributionFields;
}

/** Payload of the create task: the request, under the id the new distribution will have. */
export interface CreateDistributionTask {
  readonly distributionId: string;
  readonly fields: CreateDistributionRequest;
}

export interface UpdateDistributionTask {
  readonly distributionId: string;
  readonly changes: DistributionFields;
}

export interface DeleteDistributionTask {
  readonly distributionId: string;
}

export interface DistributionView {
  readonly id: string;
  readonly name: string;
  readonly basePath: string;
  readonly repositoryId: string | null;
  readonly repositoryVersion: VersionRef | null;
  readonly publicationId: string | null;
  readonly private: boolean;
  readonly hidden: boolean;
  readonly description: string | null;
  readonly pulpLabels: Readonly<Record<string, string>>;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface ListDistributionsRequest {
  readonly name?: string;
  readonly nameContains?: string;
  readonly basePath?: string;
  readonly basePathContains?: string;
  readonly offset: number;
  readonly limit: number;
}

/**
 * What a base path serves, for the registry API: a repository's latest version (`version: 'latest'`), or
 * one version (also when the distribution serves a publication). Both null when it serves nothing, or a
 * publication deleted since.
 */
export interface ResolvedDistribution {
  readonly distribution: DistributionView;
  readonly repositoryId: string | null;
  readonly version: number | 'latest' | null;
}

export const DISTRIBUTION_WORKER = 'distribution';

export const DISTRIBUTION_TASKS = {
  create: 'pulpcore.app.tasks.base.general_create',
  update: 'pulpcore.app.tasks.base.general_update',
  delete: 'pulpcore.app.tasks.base.general_delete',
} as const;

/**
 * The resource every distribution task holds exclusively (as Pulp does): base paths must not overlap, a rule
 * across all distributions, so their writes run one at a time.
 */
export const DISTRIBUTIONS_RESOURCE = '/pulp/api/v3/distributions/';

export const DISTRIBUTIONS_HREF_ROOT = '/pulp/api/v3/distributions/container/container/';

export function distributionHref(id: string): string {
  return `${DISTRIBUTIONS_HREF_ROOT}${id}/`;
}

export interface DistributionQueryMap {
  'distribution.validate-create': { request: CreateDistributionRequest; response: CreateDistributionTask };
  'distribution.validate-update': { request: UpdateDistributionRequest; response: UpdateDistributionTask };
  'distribution.get': { request: { id: string }; response: DistributionView };
  'distribution.list': { request: ListDistributionsRequest; response: Page<DistributionView> };
  'distribution.resolve': { request: { basePath: string }; response: ResolvedDistribution };
  /** The repository versions distributions serve directly (their `repository_version`). */
  'distribution.version-references': { request: ProtectedVersionsRequest; response: ProtectedVersions };
  /** Whether a live distribution follows the repository's latest version (its `repository`). */
  'distribution.follows-repository': { request: { repositoryId: string }; response: { following: boolean } };
}

/** Every event of every distribution's stream (`distribution-<id>`) on the bus. */
export const DISTRIBUTION_EVENTS_SUBJECT = 'events.distribution.>';
export const DISTRIBUTION_STREAM_PREFIX = 'distribution-';
