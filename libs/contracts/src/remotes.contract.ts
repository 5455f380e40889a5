import type { Page } from './repository.contract.js';

/*
 * Remotes (where a sync downloads from), owned by the sync service. Field names are Pulp's
 * container.ContainerRemote fields in camelCase; the gateway maps them to and from Pulp's snake_case JSON.
 */

/** When content is downloaded: all of it at sync, manifests at sync and blobs on first pull, or never kept. */
export type RemotePolicy = 'immediate' | 'on_demand' | 'streamed';

export const REMOTE_POLICIES: readonly RemotePolicy[] = ['immediate', 'on_demand', 'streamed'];

/** One platform a sync keeps from a manifest list (Wharf's own filter; Pulp has none). */
export interface PlatformFilter {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
}

/** What a remote shows to anyone who may read it. */
export interface RemoteSettings {
  readonly name: string;
  /** The registry, `http(s)://host[:port]`; never with credentials in it. */
  readonly url: string;
  /** The repository at that registry, e.g. `library/busybox`. */
  readonly upstreamName: string;
  /** Tag globs (`*`, `?`) to sync; null = every tag. Evaluated before excludeTags. */
  readonly includeTags: readonly string[] | null;
  readonly excludeTags: readonly string[] | null;
  readonly policy: RemotePolicy;
  readonly tlsValidation: boolean;
  /** PEM certificates: public, so readable. */
  readonly caCert: string | null;
  readonly clientCert: string | null;
  readonly proxyUrl: string | null;
  readonly downloadConcurrency: number | null;
  readonly rateLimit: number | null;
  readonly maxRetries: number | null;
  readonly totalTimeout: number | null;
  readonly connectTimeout: number | null;
  readonly sockConnectTimeout: number | null;
  readonly sockReadTimeout: number | null;
  /** Extra request headers, each item `{ "<header name>": "<value>" }` as in Pulp. */
  readonly headers: readonly Readonly<Record<string, string>>[];
  readonly pulpLabels: Readonly<Record<string, string>>;
  /** Platforms to keep from manifest lists; null = all. */
  readonly platforms: readonly PlatformFilter[] | null;
  /**
   * Also download foreign (Docker) and non-distributable (OCI) layers from the upstream registry, where
   * they are otherwise left to the URLs in the manifest (Pulp's field, which Pulp does not expose).
   */
  readonly includeForeignLayers: boolean;
}

/**
 * A remote's write-only fields. Stored only sealed (SecretBox), never returned by a read: responses say
 * only whether each is set (`hiddenFields`).
 */
export interface RemoteCredentials {
  readonly username: string | null;
  readonly password: string | null;
  readonly clientKey: string | null;
  readonly proxyUsername: string | null;
  readonly proxyPassword: string | null;
}

export type RemoteCredentialField = keyof RemoteCredentials;

/** In the order Pulp lists them in `hidden_fields`. */
export const REMOTE_CREDENTIAL_FIELDS: readonly RemoteCredentialField[] = [
  'clientKey',
  'proxyUsername',
  'proxyPassword',
  'username',
  'password',
];

export type RemoteFields = RemoteSettings & RemoteCredentials;

/**
 * Pulp's JSON name of each field: what clients write, what responses show, and the key the sync service
 * reports a field's validation errors under.
 */
export const REMOTE_PULP_FIELD_NAMES: { readonly [K in keyof RemoteFields]: string } = {
  name: 'name',
  url: 'url',
  upstreamName: 'upstream_name',
  includeTags: 'include_tags',
  excludeTags: 'exclude_tags',
  policy: 'policy',
  tlsValidation: 'tls_validation',
  caCert: 'ca_cert',
  clientCert: 'client_cert',
  proxyUrl: 'proxy_url',
  downloadConcurrency: 'download_concurrency',
  rateLimit: 'rate_limit',
  maxRetries: 'max_retries',
  totalTimeout: 'total_timeout',
  connectTimeout: 'connect_timeout',
  sockConnectTimeout: 'sock_connect_timeout',
  sockReadTimeout: 'sock_read_timeout',
  headers: 'headers',
  pulpLabels: 'pulp_labels',
  platforms: 'platforms',
  includeForeignLayers: 'include_foreign_layers',
  username: 'username',
  password: 'password',
  clientKey: 'client_key',
  proxyUsername: 'proxy_username',
  proxyPassword: 'proxy_password',
};

/**
 * Fields as a client sent them, on create or update: any subset, values not yet checked (the sync service
 * validates each one; a client's JSON may hold anything). Credentials are in clear here, so this travels
 * only as a (non-durable) query to the sync service, which seals them before anything is stored.
 */
export type RemoteInput = { readonly [K in keyof RemoteFields]?: RemoteFields[K] };

export interface HiddenField {
  readonly field: RemoteCredentialField;
  readonly isSet: boolean;
}

export interface RemoteView extends RemoteSettings {
  readonly id: string;
  readonly hiddenFields: readonly HiddenField[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface ListRemotesRequest {
  readonly name?: string;
  readonly nameContains?: string;
  readonly nameStartsWith?: string;
  readonly offset: number;
  readonly limit: number;
}

/** Validate an update now (so a bad one is a 400, not a failed task) and seal its credentials for the task. */
export interface PrepareRemoteUpdateRequest {
  readonly id: string;
  readonly input: RemoteInput;
  /**
   * PATCH (true): only the given fields change. PUT (false): name, url and upstreamName are required; other
   * fields left out keep their values, as in Django REST framework.
   */
  readonly partial: boolean;
}

/**
 * What the update task carries: validated changes with credentials sealed, so the task record and the audit
 * log never hold them in clear. Opaque to the gateway, which only passes it on.
 */
export interface RemoteUpdateTaskPayload {
  readonly remoteId: string;
  readonly changes: RemoteInput;
  readonly partial: boolean;
}

export interface RemoteDeleteTaskPayload {
  readonly remoteId: string;
}

/** The worker that runs remote tasks, and the task names (Pulp's, so task lists read as in Pulp). */
export const SYNC_WORKER = 'sync';
export const REMOTE_UPDATE_TASK = 'pulpcore.app.tasks.base.general_update';
export const REMOTE_DELETE_TASK = 'pulpcore.app.tasks.base.general_delete';

export interface RemoteQueryMap {
  'remote.create': { request: RemoteInput; response: RemoteView };
  'remote.get': { request: { id: string }; response: RemoteView };
  'remote.list': { request: ListRemotesRequest; response: Page<RemoteView> };
  'remote.update.prepare': { request: PrepareRemoteUpdateRequest; response: RemoteUpdateTaskPayload };
  /**
   * The credentials in clear, for the sync service's own downloads (and other internal callers that must
   * authenticate upstream). The gateway never asks it: no API response may carry a credential.
   */
  'remote.credentials': { request: { id: string }; response: RemoteCredentials };
}
