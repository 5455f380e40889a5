import type { JsonSchema } from './openapi/openapi.types.js';
import { paginated, timestamp } from './openapi/schema-kit.js';

/*
 * Replication targets and OCI layout export/import: Wharf's own resources (Pulp has no push replication), named
 * in Pulp's pattern and merged into PULP_SCHEMAS (openapi/schemas.ts).
 */

const settings = {
  name: { type: 'string', minLength: 1, description: 'Unique name of the target.' },
  url: {
    type: 'string',
    format: 'uri',
    description: 'Base URL of the destination registry (http or https).',
  },
  path: { type: 'string', description: 'Repository name at the destination, e.g. team/app.' },
  tls_validation: { type: 'boolean', description: 'Whether to verify the destination’s TLS certificate.' },
  ca_cert: {
    type: 'string',
    nullable: true,
    description: 'PEM certificate authority to trust for the destination.',
  },
  mirror: {
    type: 'boolean',
    description: 'Remove destination tags the pushed version does not hold (where the destination allows).',
  },
  auto: { type: 'boolean', description: 'Push every new version of the followed repository by itself.' },
  repository: {
    type: 'string',
    format: 'uri',
    nullable: true,
    description: 'Href of the container repository whose latest version is pushed.',
  },
  distribution: {
    type: 'string',
    format: 'uri',
    nullable: true,
    description: 'Href of the container distribution whose served version is pushed.',
  },
} satisfies Record<string, JsonSchema>;

const credentials = {
  username: { type: 'string', nullable: true, writeOnly: true, description: 'Destination username.' },
  password: { type: 'string', nullable: true, writeOnly: true, description: 'Destination password.' },
} satisfies Record<string, JsonSchema>;

export const REPLICATION_SCHEMAS = {
  ReplicationTarget: {
    type: 'object',
    description: 'A registry repository versions are pushed to.',
    required: ['name', 'url', 'path'],
    properties: { ...settings, ...credentials },
  },
  PatchedReplicationTarget: {
    type: 'object',
    description: 'The settings of a replication target to change.',
    properties: { ...settings, ...credentials },
  },
  ReplicationTargetResponse: {
    type: 'object',
    description: 'A replication target; credentials show only as hidden_fields.',
    required: ['pulp_href', 'pulp_created', 'pulp_last_updated', 'hidden_fields', ...Object.keys(settings)],
    properties: {
      pulp_href: { type: 'string', format: 'uri', readOnly: true, description: 'This target.' },
      pulp_created: timestamp('When the target was created.'),
      pulp_last_updated: timestamp('When the target last changed.'),
      ...settings,
      hidden_fields: {
        type: 'array',
        readOnly: true,
        description: 'Whether each write-only credential is set.',
        items: {
          type: 'object',
          required: ['name', 'is_set'],
          properties: { name: { type: 'string' }, is_set: { type: 'boolean' } },
        },
      },
    },
  },
  PaginatedReplicationTargetResponseList: paginated('ReplicationTargetResponse'),
  Replicate: {
    type: 'object',
    description: 'What to push; by default the version the target follows now.',
    properties: {
      repository_version: {
        type: 'string',
        format: 'uri',
        description: 'Href of a version of the followed repository to push instead.',
      },
    },
  },
  OciExport: {
    type: 'object',
    description:
      'Export a repository version as an OCI image layout under WHARF_EXPORT_ROOT or into WHARF_EXPORT_BUCKET.',
    required: ['path'],
    properties: {
      path: {
        type: 'string',
        description: 'Where to write, relative to WHARF_EXPORT_ROOT or a key in the bucket; must not exist.',
      },
      storage: {
        type: 'string',
        enum: ['filesystem', 's3'],
        description:
          'filesystem (default): path is under WHARF_EXPORT_ROOT; s3: path is a key (prefix) in WHARF_EXPORT_BUCKET.',
      },
      format: {
        type: 'string',
        enum: ['directory', 'oci-archive'],
        description: 'A layout directory, or one tar file (default).',
      },
      repository_version: {
        type: 'string',
        format: 'uri',
        description: 'Href of the version to export; default the latest.',
      },
      chunk_size: {
        type: 'integer',
        minimum: 1048576,
        description:
          'oci-archive: split into files of at most this many bytes, listed with sha256 in SHA256SUMS.',
      },
    },
  },
  OciImport: {
    type: 'object',
    description:
      'Import an OCI image layout export from WHARF_EXPORT_ROOT or WHARF_EXPORT_BUCKET as one new version.',
    required: ['path'],
    properties: {
      path: {
        type: 'string',
        description: 'The export, relative to WHARF_EXPORT_ROOT or a key in the bucket.',
      },
      storage: {
        type: 'string',
        enum: ['filesystem', 's3'],
        description:
          'filesystem (default): path is under WHARF_EXPORT_ROOT; s3: path is a key (prefix) in WHARF_EXPORT_BUCKET.',
      },
      format: {
        type: 'string',
        enum: ['directory', 'oci-archive'],
        description: 'What the export is (default oci-archive; chunked archives are found by SHA256SUMS).',
      },
    },
  },
} satisfies Record<string, JsonSchema>;
