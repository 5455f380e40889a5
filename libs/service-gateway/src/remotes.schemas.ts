import type { JsonSchema } from './openapi/openapi.types.js';
import { paginated } from './openapi/schema-kit.js';

/*
 * The container remote's bodies under Pulp's schema names, merged into PULP_SCHEMAS (openapi/schemas.ts).
 * Kept beside the remotes controller, and free of imports from schemas.ts, which imports this file.
 */

const nullableString = (description: string): JsonSchema => ({ type: 'string', nullable: true, description });
const writeOnly = (description: string): JsonSchema => ({ ...nullableString(description), writeOnly: true });
const timeout = (description: string): JsonSchema => ({
  type: 'number',
  minimum: 0,
  nullable: true,
  description,
});
const tagGlobs = (description: string): JsonSchema => ({
  type: 'array',
  items: { type: 'string', maxLength: 255 },
  nullable: true,
  description,
});

/** Fields clients write and read alike. */
const settings = {
  name: { type: 'string', minLength: 1, description: 'Unique name of the remote.' },
  url: {
    type: 'string',
    format: 'uri',
    description: 'The registry to sync from (http or https, no credentials).',
  },
  upstream_name: {
    type: 'string',
    minLength: 1,
    description: 'The repository at that registry, e.g. library/busybox.',
  },
  include_tags: tagGlobs(
    'Tags to sync (wildcards * and ?); null syncs every tag. Applied before exclude_tags.',
  ),
  exclude_tags: tagGlobs('Tags not to sync (wildcards * and ?). Applied after include_tags.'),
  policy: {
    type: 'string',
    enum: ['immediate', 'on_demand', 'streamed'],
    description:
      'immediate: download everything at sync. on_demand: manifests at sync, blobs on first pull. ' +
      'streamed: blobs are passed through to clients and never kept.',
  },
  tls_validation: { type: 'boolean', description: 'Whether to verify the registry’s TLS certificate.' },
  include_foreign_layers: {
    type: 'boolean',
    description:
      'Also download foreign and non-distributable layers from the registry (default false: clients ' +
      'fetch them from the URLs in the manifest).',
  },
  ca_cert: nullableString('PEM certificate(s) of the CA that signed the registry’s certificate.'),
  client_cert: nullableString('PEM client certificate to authenticate with.'),
  proxy_url: nullableString('Proxy to connect through, scheme://host:port, without credentials.'),
  download_concurrency: {
    type: 'integer',
    minimum: 1,
    nullable: true,
    description: 'Simultaneous downloads; null for the default.',
  },
  rate_limit: {
    type: 'integer',
    minimum: 0,
    nullable: true,
    description: 'Requests per second per downloader.',
  },
  max_retries: {
    type: 'integer',
    minimum: 0,
    nullable: true,
    description: 'Retries after a failed download.',
  },
  total_timeout: timeout('Seconds a whole download may take.'),
  connect_timeout: timeout('Seconds to get a connection, from the pool included.'),
  sock_connect_timeout: timeout('Seconds to open a new connection.'),
  sock_read_timeout: timeout('Seconds to wait for the next bytes.'),
  headers: {
    type: 'array',
    items: { type: 'object', additionalProperties: { type: 'string' } },
    description: 'Extra request headers, each item {"Header-Name": "value"}.',
  },
  pulp_labels: {
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Free-form key/value labels.',
  },
  platforms: {
    type: 'array',
    nullable: true,
    description: 'Wharf: the platforms to keep from manifest lists; null keeps all.',
    items: {
      type: 'object',
      required: ['os', 'architecture'],
      properties: {
        os: { type: 'string', description: 'e.g. linux' },
        architecture: { type: 'string', description: 'e.g. amd64, arm64' },
        variant: { type: 'string', description: 'e.g. v8' },
      },
    },
  },
} satisfies Record<string, JsonSchema>;

/** Write-only: stored sealed, never shown; `hidden_fields` says whether each is set. */
const credentials = {
  username: writeOnly('User to authenticate to the registry with.'),
  password: writeOnly('Password to authenticate to the registry with.'),
  client_key: writeOnly('PEM private key of client_cert.'),
  proxy_username: writeOnly('User to authenticate to the proxy with.'),
  proxy_password: writeOnly('Password to authenticate to the proxy with.'),
} satisfies Record<string, JsonSchema>;

export const REMOTE_SCHEMAS = {
  'container.ContainerRemote': {
    type: 'object',
    description: 'A container remote: where a sync downloads images from.',
    required: ['name', 'url', 'upstream_name'],
    properties: { ...settings, ...credentials },
  },
  'Patchedcontainer.ContainerRemote': {
    type: 'object',
    description: 'The fields of a container remote to change.',
    properties: { ...settings, ...credentials },
  },
  'container.ContainerRemoteResponse': {
    type: 'object',
    description: 'A container remote. Credentials are never shown; hidden_fields says which are set.',
    required: [
      'pulp_href',
      'prn',
      'pulp_created',
      'pulp_last_updated',
      'hidden_fields',
      ...Object.keys(settings),
    ],
    properties: {
      pulp_href: { type: 'string', format: 'uri', readOnly: true, description: 'This remote.' },
      prn: { type: 'string', readOnly: true, description: 'Pulp resource name of this remote.' },
      pulp_created: {
        type: 'string',
        format: 'date-time',
        readOnly: true,
        description: 'When it was created.',
      },
      pulp_last_updated: {
        type: 'string',
        format: 'date-time',
        readOnly: true,
        description: 'When it last changed.',
      },
      ...settings,
      hidden_fields: {
        type: 'array',
        readOnly: true,
        description: 'The write-only fields and whether each is set.',
        items: {
          type: 'object',
          required: ['name', 'is_set'],
          properties: { name: { type: 'string' }, is_set: { type: 'boolean' } },
        },
      },
    },
  },
  'Paginatedcontainer.ContainerRemoteResponseList': paginated('container.ContainerRemoteResponse'),
} satisfies Record<string, JsonSchema>;
