import type { JsonSchema } from './openapi/openapi.types.js';
import { paginated, timestamp } from './openapi/schema-kit.js';

/*
 * The container distribution's bodies under Pulp's schema names, merged into PULP_SCHEMAS (openapi/schemas.ts).
 * Kept beside the distributions controller, and free of imports from schemas.ts, which imports this file.
 */

const nullableHref = (description: string): JsonSchema => ({
  type: 'string',
  format: 'uri',
  nullable: true,
  description,
});

/** Fields clients write and read alike. */
const settings = {
  name: { type: 'string', minLength: 1, description: 'Unique name of the distribution.' },
  base_path: {
    type: 'string',
    minLength: 1,
    description: 'The repository name clients pull by (e.g. team/app); never a path prefix of another’s.',
  },
  repository: nullableHref(
    'Href of a container repository whose latest version is served; null serves none.',
  ),
  repository_version: nullableHref('Href of the repository version served; null serves none.'),
  publication: nullableHref('Href of the container publication served; null serves none.'),
  content_guard: nullableHref('Href of a content guard; Wharf has none, so only null is accepted.'),
  private: { type: 'boolean', description: 'Whether pulls are restricted to authorized users.' },
  hidden: { type: 'boolean', description: 'Whether to hide the distribution from listings.' },
  description: { type: 'string', nullable: true, description: 'What the distribution is for.' },
  pulp_labels: {
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'Free-form key/value labels.',
  },
} satisfies Record<string, JsonSchema>;

export const DISTRIBUTION_SCHEMAS = {
  'container.ContainerDistribution': {
    type: 'object',
    description: 'A container distribution to create, or all its settings (PUT).',
    required: ['name', 'base_path'],
    properties: settings,
  },
  'Patchedcontainer.ContainerDistribution': {
    type: 'object',
    description: 'The settings of a container distribution to change.',
    properties: settings,
  },
  'container.ContainerDistributionResponse': {
    type: 'object',
    description: 'A container distribution: where a repository, version or publication is served.',
    required: [
      'pulp_href',
      'prn',
      'pulp_created',
      'pulp_last_updated',
      'registry_path',
      'remote',
      'namespace',
      ...Object.keys(settings),
    ],
    properties: {
      pulp_href: { type: 'string', format: 'uri', readOnly: true, description: 'This distribution.' },
      prn: { type: 'string', readOnly: true, description: 'Pulp resource name of this distribution.' },
      pulp_created: timestamp('When the distribution was created.'),
      pulp_last_updated: timestamp('When the distribution last changed.'),
      ...settings,
      registry_path: {
        type: 'string',
        readOnly: true,
        description: 'Where clients pull from: host:port/base_path of the registry API.',
      },
      remote: {
        ...nullableHref('Pull-through remote; Wharf has none, so always null.'),
        readOnly: true,
      },
      namespace: {
        ...nullableHref('Container namespace; Wharf has none, so always null.'),
        readOnly: true,
      },
    },
  },
  'Paginatedcontainer.ContainerDistributionResponseList': paginated(
    'container.ContainerDistributionResponse',
  ),
} satisfies Record<string, JsonSchema>;
