import type { JsonSchema } from './openapi.types.js';

/*
 * Building blocks of the hand-written schemas. Imports nothing else of the OpenAPI code, so the per-resource
 * schema files (remotes.schemas.ts, …) can use it while openapi/schemas.ts imports them.
 */

export function schemaRef(name: string): JsonSchema {
  return { $ref: `#/components/schemas/${name}` };
}

/** Pulp's list envelope around `item`; its name is `Paginated<item>List`. */
export function paginated(item: string): JsonSchema {
  return {
    type: 'object',
    required: ['count', 'results'],
    properties: {
      count: { type: 'integer', description: 'How many results match the query, over all pages.' },
      next: { type: 'string', format: 'uri', nullable: true, description: 'The next page, if any.' },
      previous: { type: 'string', format: 'uri', nullable: true, description: 'The previous page, if any.' },
      results: { type: 'array', items: schemaRef(item) },
    },
  };
}

export const readOnlyHref = (description: string): JsonSchema => ({
  type: 'string',
  format: 'uri',
  readOnly: true,
  description,
});

export const timestamp = (description: string): JsonSchema => ({
  type: 'string',
  format: 'date-time',
  readOnly: true,
  description,
});
