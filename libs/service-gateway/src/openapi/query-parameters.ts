import type { JsonSchema } from './openapi.types.js';
import type { QueryParameter } from './pulp-operation.decorator.js';

const stringList: JsonSchema = { type: 'array', items: { type: 'string' } };

/** The parameters every Pulp list accepts; Pulp's clients send `fields` and `exclude_fields` on every call. */
export const LIST_PARAMETERS: readonly QueryParameter[] = [
  { name: 'limit', description: 'Results per page.', schema: { type: 'integer' } },
  { name: 'offset', description: 'Index of the first result to return.', schema: { type: 'integer' } },
  { name: 'ordering', description: 'Fields to order the results by.', schema: stringList, explode: false },
  { name: 'fields', description: 'Fields to include in each result.', schema: stringList },
  { name: 'exclude_fields', description: 'Fields to leave out of each result.', schema: stringList },
];

export function filterParameter(name: string, description: string, schema: JsonSchema = { type: 'string' }) {
  return { name, description, schema } satisfies QueryParameter;
}
