import { SetMetadata } from '@nestjs/common';
import type { JsonSchema } from './openapi.types.js';
import type { SchemaName } from './schemas.js';

export interface QueryParameter {
  readonly name: string;
  readonly description: string;
  readonly schema: JsonSchema;
  readonly required?: boolean;
  /** false: a list travels comma-separated in one parameter (`?ordering=a,b`) rather than repeated. */
  readonly explode?: boolean;
}

/** What the OpenAPI document says about one handler. Status codes map to a schema name, or null for no body. */
export interface PulpOperationSpec {
  /**
   * Pulp-shaped: the route's path segments after /pulp/api/v3/ joined by `_`, optionally followed by an
   * action (`repositories_container_container_list`, `…_sync`, `tasks_read`). Unique in the document.
   */
  readonly operationId: string;
  readonly summary?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  /**
   * Name of the path parameter standing for the resource's whole href, as Pulp names it
   * (`container_container_repository_href`). Required when the route has path parameters: Pulp's clients
   * address resources by href (`{container_container_repository_href}sync/`), never by id.
   */
  readonly href?: string;
  /** Every query parameter the handler reads: Pulp's clients refuse to send a parameter not declared here. */
  readonly query?: readonly QueryParameter[];
  readonly requestBody?: SchemaName;
  /** Every status the handler answers with, besides the 401 the authentication guard adds. */
  readonly responses: Readonly<Record<string, SchemaName | null>>;
}

const PULP_OPERATION = 'wharf:pulp-operation';

/** Puts a handler in the OpenAPI document. */
export function PulpOperation(spec: PulpOperationSpec): MethodDecorator {
  return SetMetadata(PULP_OPERATION, spec);
}

export function pulpOperationOf(handler: object): PulpOperationSpec | undefined {
  return Reflect.getMetadata(PULP_OPERATION, handler) as PulpOperationSpec | undefined;
}
