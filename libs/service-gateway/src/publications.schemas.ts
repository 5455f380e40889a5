import type { JsonSchema } from './openapi/openapi.types.js';
import { paginated, readOnlyHref, timestamp } from './openapi/schema-kit.js';

/*
 * The container publication's bodies under Pulp's schema names, merged into PULP_SCHEMAS (openapi/schemas.ts).
 * Kept beside the publications controller, and free of imports from schemas.ts, which imports this file.
 */

export const PUBLICATION_SCHEMAS = {
  'container.ContainerPublication': {
    type: 'object',
    description:
      'What to publish: give exactly one of repository (its latest version is published) and repository_version.',
    properties: {
      repository: {
        type: 'string',
        format: 'uri',
        description: 'Href of a container repository; its latest version is published.',
      },
      repository_version: {
        type: 'string',
        format: 'uri',
        description: 'Href of the repository version to publish.',
      },
    },
  },
  'container.ContainerPublicationResponse': {
    type: 'object',
    description: 'A container publication: an immutable snapshot of a repository version.',
    required: ['pulp_href', 'prn', 'pulp_created', 'pulp_last_updated', 'repository', 'repository_version'],
    properties: {
      pulp_href: readOnlyHref('This publication.'),
      prn: { type: 'string', readOnly: true, description: 'Pulp resource name of this publication.' },
      pulp_created: timestamp('When the publication was created.'),
      pulp_last_updated: timestamp('When it last changed; publications never change, so its creation.'),
      repository: readOnlyHref('The repository whose version is published.'),
      repository_version: readOnlyHref('The repository version published.'),
    },
  },
  'Paginatedcontainer.ContainerPublicationResponseList': paginated('container.ContainerPublicationResponse'),
} satisfies Record<string, JsonSchema>;
