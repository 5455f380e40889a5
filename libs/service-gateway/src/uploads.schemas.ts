import type { JsonSchema } from './openapi/openapi.types.js';
import { paginated, readOnlyHref, timestamp } from './openapi/schema-kit.js';

/*
 * Pulp's core upload and artifact bodies under Pulp's schema names, merged into PULP_SCHEMAS
 * (openapi/schemas.ts). Kept beside their controllers, and free of imports from schemas.ts, which imports
 * this file.
 */

const nullableChecksum = (name: string): JsonSchema => ({
  type: 'string',
  nullable: true,
  readOnly: true,
  description: `The ${name} checksum; Wharf keeps only sha256, so null.`,
});
const uploadResponseProperties = {
  pulp_href: readOnlyHref('This upload.'),
  prn: { type: 'string', readOnly: true, description: 'Pulp resource name of this upload.' },
  pulp_created: timestamp('When the upload was started.'),
  pulp_last_updated: timestamp('When it last received a chunk.'),
  size: { type: 'integer', description: 'Size of the whole file in bytes.' },
  completed: {
    type: 'string',
    format: 'date-time',
    nullable: true,
    readOnly: true,
    description: 'Always null: a committed upload is no longer listed.',
  },
} satisfies Record<string, JsonSchema>;

export const UPLOAD_SCHEMAS = {
  Upload: {
    type: 'object',
    required: ['size'],
    properties: { size: { type: 'integer', minimum: 1, description: 'Size of the whole file in bytes.' } },
  },
  UploadCommit: {
    type: 'object',
    required: ['sha256'],
    properties: {
      sha256: { type: 'string', minLength: 64, maxLength: 64, description: 'The whole file’s sha256 (hex).' },
    },
  },
  UploadResponse: {
    type: 'object',
    required: ['pulp_href', 'prn', 'pulp_created', 'pulp_last_updated', 'size'],
    properties: uploadResponseProperties,
  },
  UploadDetailResponse: {
    type: 'object',
    required: ['pulp_href', 'prn', 'pulp_created', 'pulp_last_updated', 'size', 'chunks'],
    properties: {
      ...uploadResponseProperties,
      chunks: {
        type: 'array',
        readOnly: true,
        description: 'The chunks received so far, in offset order.',
        items: {
          type: 'object',
          required: ['offset', 'size'],
          properties: {
            offset: { type: 'integer', description: 'Where the chunk starts in the file.' },
            size: { type: 'integer', description: 'Its length in bytes.' },
          },
        },
      },
    },
  },
  PaginatedUploadResponseList: paginated('UploadResponse'),
  ArtifactResponse: {
    type: 'object',
    required: ['pulp_href', 'prn', 'pulp_created', 'pulp_last_updated', 'file', 'size', 'sha256'],
    properties: {
      pulp_href: readOnlyHref('This artifact.'),
      prn: { type: 'string', readOnly: true, description: 'Pulp resource name of this artifact.' },
      pulp_created: timestamp('When the artifact was created.'),
      pulp_last_updated: timestamp('When it last changed; artifacts never change, so its creation.'),
      file: { type: 'string', description: 'Where Pulp would keep the file, relative to its storage.' },
      size: { type: 'integer', description: 'Size of the file in bytes.' },
      md5: nullableChecksum('MD5'),
      sha1: nullableChecksum('SHA-1'),
      sha224: nullableChecksum('SHA-224'),
      sha256: { type: 'string', description: 'The file’s sha256 (hex).' },
      sha384: nullableChecksum('SHA-384'),
      sha512: nullableChecksum('SHA-512'),
    },
  },
  PaginatedArtifactResponseList: paginated('ArtifactResponse'),
} satisfies Record<string, JsonSchema>;
