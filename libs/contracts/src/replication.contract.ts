import type { Page } from './repository.contract.js';

/*
 * Replication targets over the bus, answered by the distribution service. A target is another registry a
 * repository's versions are pushed to: its URL, the repository name there (`path`), write-only credentials
 * (sealed at rest like a remote's), TLS settings, whether tags the version lacks are removed there (`mirror`)
 * and whether each new version is pushed by itself (`auto`). A target follows a repository, or the version a
 * distribution serves. Pushes, exports and imports run as tasks on the distribution worker.
 */

/** A target's fields as a request gives them: an absent field keeps its value (or default), null clears it. */
export interface ReplicationTargetInput {
  readonly name?: string;
  readonly url?: string;
  readonly path?: string;
  readonly username?: string | null;
  readonly password?: string | null;
  readonly tlsValidation?: boolean;
  readonly caCert?: string | null;
  readonly mirror?: boolean;
  readonly auto?: boolean;
  readonly repositoryId?: string | null;
  readonly distributionId?: string | null;
}

export type ReplicationTargetField = keyof ReplicationTargetInput;

/** Pulp-style (snake_case) names of the fields, as the REST API and validation errors use them. */
export const REPLICATION_TARGET_PULP_FIELD_NAMES: Readonly<Record<ReplicationTargetField, string>> = {
  name: 'name',
  url: 'url',
  path: 'path',
  username: 'username',
  password: 'password',
  tlsValidation: 'tls_validation',
  caCert: 'ca_cert',
  mirror: 'mirror',
  auto: 'auto',
  repositoryId: 'repository',
  distributionId: 'distribution',
};

export const REPLICATION_TARGET_CREDENTIAL_FIELDS = ['username', 'password'] as const;

export interface ReplicationTargetView {
  readonly id: string;
  readonly name: string;
  readonly url: string;
  readonly path: string;
  readonly tlsValidation: boolean;
  readonly caCert: string | null;
  readonly mirror: boolean;
  readonly auto: boolean;
  readonly repositoryId: string | null;
  readonly distributionId: string | null;
  /** Credentials show only whether they are set. */
  readonly hiddenFields: readonly { readonly field: 'username' | 'password'; readonly isSet: boolean }[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface ListReplicationTargetsRequest {
  readonly name?: string;
  readonly repositoryId?: string;
  readonly offset: number;
  readonly limit: number;
}

export interface UpdateReplicationTargetRequest {
  readonly id: string;
  readonly input: ReplicationTargetInput;
}

/** Payload of a replicate task: the target, and the version to push (default: what the target follows now). */
export interface ReplicateTaskPayload {
  readonly targetId: string;
  readonly version?: number;
}

/** Where an export goes or an import comes from. */
export type OciLayoutFormat = 'directory' | 'oci-archive';

/** Where exports are written and imports read: WHARF_EXPORT_ROOT or WHARF_EXPORT_BUCKET. */
export type ExportStorage = 'filesystem' | 's3';

export interface ExportTaskPayload {
  readonly repositoryId: string;
  readonly version: number;
  readonly format: OciLayoutFormat;
  /** Relative to WHARF_EXPORT_ROOT, or a key (prefix) in WHARF_EXPORT_BUCKET; must not exist yet. */
  readonly path: string;
  /** Where `path` is: the filesystem (default) or the configured export bucket. */
  readonly storage?: ExportStorage;
  /** oci-archive only: split the tarball into files of at most this many bytes, with a SHA256SUMS manifest. */
  readonly chunkSize?: number;
}

export interface ImportTaskPayload {
  readonly repositoryId: string;
  readonly format: OciLayoutFormat;
  /** Relative to WHARF_EXPORT_ROOT, or a key (prefix) in WHARF_EXPORT_BUCKET. */
  readonly path: string;
  readonly storage?: ExportStorage;
}

export const REPLICATION_TASKS = {
  replicate: 'wharf.replication.replicate',
  export: 'wharf.replication.export',
  import: 'wharf.replication.import',
} as const;

export const REPLICATION_TARGETS_HREF_ROOT = '/pulp/api/v3/replication-targets/';

export function replicationTargetHref(id: string): string {
  return `${REPLICATION_TARGETS_HREF_ROOT}${id}/`;
}

export interface ReplicationQueryMap {
  'replication-target.create': { request: ReplicationTargetInput; response: ReplicationTargetView };
  'replication-target.get': { request: { id: string }; response: ReplicationTargetView };
  'replication-target.list': {
    request: ListReplicationTargetsRequest;
    response: Page<ReplicationTargetView>;
  };
  'replication-target.update': { request: UpdateReplicationTargetRequest; response: ReplicationTargetView };
  'replication-target.delete': { request: { id: string }; response: { id: string } };
  /** Checks an export or import request (paths under the export root) before its task is queued. */
  'replication.validate-export': { request: ExportTaskPayload; response: ExportTaskPayload };
  'replication.validate-import': { request: ImportTaskPayload; response: ImportTaskPayload };
}
