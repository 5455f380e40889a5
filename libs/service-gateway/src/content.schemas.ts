import type { JsonSchema } from './openapi/openapi.types.js';
import { paginated } from './openapi/schema-kit.js';

/*
 * Bodies of repository actions, repository versions and content units, under Pulp's schema names, merged into
 * PULP_SCHEMAS (openapi/schemas.ts). Free of imports from schemas.ts, which imports this file.
 */

const href = (description: string): JsonSchema => ({ type: 'string', format: 'uri', description });
const hrefs = (description: string): JsonSchema => ({
  type: 'array',
  items: { type: 'string', format: 'uri' },
  description,
});
const strings = (description: string): JsonSchema => ({
  type: 'array',
  items: { type: 'string' },
  description,
});
const readOnly = (schema: JsonSchema): JsonSchema => ({ ...schema, readOnly: true });
const timestamp: JsonSchema = { type: 'string', format: 'date-time', readOnly: true };

const common = {
  pulp_href: readOnly(href('This unit.')),
  prn: readOnly({ type: 'string' }),
  pulp_created: timestamp,
  pulp_last_updated: timestamp,
  pulp_labels: { type: 'object', additionalProperties: { type: 'string' } },
} satisfies Record<string, JsonSchema>;

const countAndHref: JsonSchema = {
  type: 'object',
  additionalProperties: {
    type: 'object',
    properties: { count: { type: 'integer' }, href: { type: 'string', format: 'uri' } },
  },
  description:
    'Per content type (`container.blob`, `container.manifest`, `container.tag`): how many, and where to list them.',
};

const copySource = {
  source_repository: href('Copy from this repository’s latest version.'),
  source_repository_version: href('Copy from this repository version.'),
} satisfies Record<string, JsonSchema>;

const fromArtifact = {
  artifact: href('The artifact whose bytes become the unit; or send them as the multipart field `file`.'),
  repository: href('Also add the unit to this repository, as a new version.'),
} satisfies Record<string, JsonSchema>;

export const CONTENT_SCHEMAS = {
  'container.Blob': {
    type: 'object',
    description: 'A blob from an artifact (JSON) or from the multipart field `file`.',
    properties: fromArtifact,
  },
  'container.Manifest': {
    type: 'object',
    description:
      'An image manifest, manifest list or OCI index from an artifact (JSON) or from the multipart field `file`. ' +
      'Every blob and manifest it references must already exist as content.',
    properties: {
      ...fromArtifact,
      tag: { type: 'string', description: 'Tag it under this name in the new version; needs `repository`.' },
    },
  },
  OrphansCleanup: {
    type: 'object',
    properties: {
      orphan_protection_time: {
        type: 'integer',
        minimum: 0,
        description:
          'Minutes: content younger than this is kept even when no version holds it (default 1440).',
      },
    },
  },
  RepositoryAddRemoveContent: {
    type: 'object',
    description: 'Units to add and remove (recursively) in one new version.',
    properties: {
      add_content_units: hrefs('Content hrefs to add, with everything they reference.'),
      remove_content_units: hrefs(
        'Content hrefs to remove, with what nothing else needs; ["*"] removes everything.',
      ),
      base_version: href('The version to change; default the latest.'),
    },
  },
  RecursiveManage: {
    type: 'object',
    required: ['content_units'],
    properties: { content_units: hrefs('Content hrefs; for remove, ["*"] removes everything.') },
  },
  TagCopy: {
    type: 'object',
    properties: { ...copySource, names: strings('Tag names to copy; all when absent.') },
  },
  ManifestCopy: {
    type: 'object',
    properties: {
      ...copySource,
      digests: strings('Manifest digests to copy; all when absent.'),
      media_types: strings('Only manifests of these media types.'),
    },
  },
  TagImage: {
    type: 'object',
    required: ['tag', 'digest'],
    properties: { tag: { type: 'string' }, digest: { type: 'string' } },
  },
  ContainerRepositoryImportTarball: {
    type: 'object',
    description:
      'A docker-archive or oci-archive tarball (as `skopeo copy` writes them): JSON with `artifact`, or a multipart ' +
      'form with the archive in the field `file`.',
    properties: {
      artifact: href('The artifact holding the archive.'),
      upload: href(
        'A complete upload holding the archive (sent in chunks, not committed): the task commits it into an artifact.',
      ),
      file: { type: 'string', format: 'binary', description: 'The archive, in a multipart form.' },
    },
  },
  UnTagImage: { type: 'object', required: ['tag'], properties: { tag: { type: 'string' } } },
  ContainerRepositorySyncURL: {
    type: 'object',
    description:
      'Where and how a sync downloads: the remote, and whether the new version mirrors it exactly.',
    properties: {
      remote: href('The remote to sync from; default the repository’s `remote`.'),
      mirror: {
        type: 'boolean',
        description:
          'True: the new version holds exactly the upstream tags (tags gone upstream are removed); false: they are added.',
      },
      signed_only: {
        type: 'boolean',
        description: 'Only signed content; Wharf does not verify signatures yet, so only false is accepted.',
      },
    },
  },
  RepositoryRollback: {
    type: 'object',
    required: ['version'],
    properties: {
      version: { type: 'integer', minimum: 0, description: 'The version whose content to restore.' },
    },
  },
  'Patchedcontainer.ContainerRepository': {
    type: 'object',
    properties: {
      name: { type: 'string', minLength: 1 },
      description: { type: 'string', nullable: true },
      retain_repo_versions: { type: 'integer', minimum: 1, nullable: true },
      remote: { type: 'string', format: 'uri', nullable: true },
    },
  },
  RepositoryVersionResponse: {
    type: 'object',
    properties: {
      ...common,
      number: readOnly({ type: 'integer' }),
      repository: readOnly(href('The repository.')),
      base_version: { ...href('The version this one was based on.'), nullable: true },
      content_summary: readOnly({
        type: 'object',
        properties: { added: countAndHref, removed: countAndHref, present: countAndHref },
      }),
    },
  },
  PaginatedRepositoryVersionResponseList: paginated('RepositoryVersionResponse'),
  RepositoryVersionDiffResponse: {
    type: 'object',
    description:
      'Units in `version` and not in `base_version` (added), and the reverse (removed), per content type.',
    properties: {
      base_version: href('Compared from.'),
      version: href('Compared to.'),
      added: {
        type: 'object',
        additionalProperties: { type: 'array', items: { type: 'string', format: 'uri' } },
      },
      removed: {
        type: 'object',
        additionalProperties: { type: 'array', items: { type: 'string', format: 'uri' } },
      },
      next: { type: 'string', format: 'uri', nullable: true },
    },
  },
  'container.BlobResponse': {
    type: 'object',
    properties: {
      ...common,
      artifact: { type: 'string', nullable: true },
      digest: { type: 'string' },
      size: { type: 'integer', nullable: true },
    },
  },
  'Paginatedcontainer.BlobResponseList': paginated('container.BlobResponse'),
  'container.ManifestResponse': {
    type: 'object',
    properties: {
      ...common,
      artifact: { type: 'string', nullable: true },
      digest: { type: 'string' },
      schema_version: { type: 'integer' },
      media_type: { type: 'string' },
      type: { type: 'string', enum: ['image', 'list', 'artifact'] },
      listed_manifests: hrefs('Manifests a list or index names.'),
      config_blob: { ...href('The image config blob.'), nullable: true },
      blobs: hrefs('Layer blobs.'),
      annotations: { type: 'object', additionalProperties: { type: 'string' } },
      labels: { type: 'object', additionalProperties: { type: 'string' } },
      architecture: { type: 'string', nullable: true },
      os: { type: 'string', nullable: true },
      artifact_type: { type: 'string', nullable: true },
      subject: { ...href('The manifest this artifact refers to.'), nullable: true },
      is_bootable: { type: 'boolean' },
      is_flatpak: { type: 'boolean' },
      compressed_image_size: { type: 'integer', nullable: true },
    },
  },
  'Paginatedcontainer.ManifestResponseList': paginated('container.ManifestResponse'),
  'container.TagResponse': {
    type: 'object',
    properties: {
      ...common,
      name: { type: 'string' },
      tagged_manifest: href('The manifest it points at.'),
    },
  },
  'Paginatedcontainer.TagResponseList': paginated('container.TagResponse'),
} satisfies Record<string, JsonSchema>;
