import type { Type } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { API_ROOT } from '../hrefs.js';
import { isPublic } from '../auth/public.decorator.js';
import { PULP_APP_VERSIONS, WHARF_VERSION } from './api-versions.js';
import type {
  JsonSchema,
  OpenApiDocument,
  OperationObject,
  ParameterObject,
  PathItemObject,
  ResponseObject,
} from './openapi.types.js';
import { pulpOperationOf, type PulpOperationSpec, type QueryParameter } from './pulp-operation.decorator.js';
import { routeHandlersOf, type RouteHandler } from './route-metadata.js';
import { PULP_SCHEMAS, schemaRef } from './schemas.js';

/** A handler whose PulpOperation cannot be documented truthfully; names the handler and the fix. */
export class OpenApiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpenApiError';
  }
}

const JSON_MEDIA_TYPE = 'application/json';
const OPERATION_ID = /^[a-z][a-z0-9_]*$/;

/**
 * Builds the OpenAPI document from the controllers' route metadata and their @PulpOperation decorators, so
 * the document cannot drift from the routes. Handlers without the decorator are left out; a test checks
 * that every registered route has an operation.
 */
export function buildOpenApiDocument(controllers: Iterable<Type>): OpenApiDocument {
  const paths: Record<string, PathItemObject> = {};
  const operationOwners = new Map<string, string>();
  for (const controller of controllers) {
    for (const route of routeHandlersOf(controller)) {
      const spec = pulpOperationOf(route.handler);
      if (!spec) continue;
      const [routePath, ...others] = route.paths;
      if (!routePath || others.length > 0) {
        throw new OpenApiError(`${route.name}: a documented handler answers on exactly one path`);
      }
      const owner = operationOwners.get(spec.operationId);
      if (owner) {
        throw new OpenApiError(`${route.name}: operationId ${spec.operationId} is already used by ${owner}`);
      }
      operationOwners.set(spec.operationId, route.name);
      checkOperationId(spec.operationId, routePath, route.name);
      if (!route.verb) throw new OpenApiError(`${route.name}: only standard HTTP methods can be documented`);
      const item = (paths[documentPath(routePath, spec, route.name)] ??= {});
      const taken = item[route.verb];
      if (taken) {
        throw new OpenApiError(
          `${route.name}: ${taken.operationId} has the same method and path; name a different href`,
        );
      }
      item[route.verb] = operation(spec, route);
    }
  }
  const schemas = sortedByKey(PULP_SCHEMAS as Record<string, JsonSchema>);
  const document: OpenApiDocument = {
    openapi: '3.0.3',
    info: {
      title: 'Wharf API',
      version: WHARF_VERSION,
      description:
        "Versioned repositories of container images. The REST API follows Pulp 3's container API, so Pulp's " +
        'clients and bindings can drive Wharf.',
      'x-pulp-app-versions': { ...PULP_APP_VERSIONS },
      'x-pulp-domain-enabled': false,
    },
    paths: sortedByKey(paths),
    components: { schemas, securitySchemes: { basicAuth: { type: 'http', scheme: 'basic' } } },
  };
  checkReferences(document);
  return document;
}

function pathSegments(routePath: string): string[] {
  return routePath.split('/').filter((segment) => segment !== '');
}

const isParameter = (segment: string) => segment.startsWith(':') || segment.startsWith('*');

/** Pulp's paths end with a slash, except file-like ones (`docs/api.json`). */
function withTrailingSlash(path: string): string {
  const last = path.split('/').at(-1) ?? '';
  return path === '' || path.endsWith('/') || last.includes('.') ? path : `${path}/`;
}

/**
 * `/pulp/api/v3/tasks/` stays as it is; a route with parameters becomes `{<href>}` plus what follows its
 * last parameter (`…/container/:id/sync` → `{container_container_repository_href}sync/`), because Pulp's
 * clients substitute whole hrefs taken from earlier responses.
 */
function documentPath(routePath: string, spec: PulpOperationSpec, handlerName: string): string {
  const segments = pathSegments(routePath);
  const lastParameter = segments.findLastIndex(isParameter);
  if (lastParameter < 0) return withTrailingSlash(`/${segments.join('/')}`);
  if (!spec.href) {
    throw new OpenApiError(
      `${handlerName}: ${routePath} has path parameters; name the href parameter that stands for them ` +
        `(@PulpOperation({ href: 'container_container_repository_href', ... }))`,
    );
  }
  return `{${spec.href}}${withTrailingSlash(segments.slice(lastParameter + 1).join('/'))}`;
}

/** Pulp's operationIds are the route's fixed path segments joined by `_`, then an optional action. */
function checkOperationId(operationId: string, routePath: string, handlerName: string): void {
  const segments = pathSegments(routePath);
  const apiSegments = pathSegments(API_ROOT);
  const underApi = apiSegments.every((segment, i) => segments[i] === segment);
  const base = (underApi ? segments.slice(apiSegments.length) : segments)
    .filter((segment) => !isParameter(segment))
    .map((segment) => segment.replace(/[-.]/g, '_'))
    .join('_');
  if (!OPERATION_ID.test(operationId) || (operationId !== base && !operationId.startsWith(`${base}_`))) {
    throw new OpenApiError(
      `${handlerName}: operationId ${operationId} is not Pulp-shaped; for ${routePath} it is ${base} ` +
        `or ${base}_<action> (list, create, read, partial_update, delete, sync...)`,
    );
  }
}

function operation(spec: PulpOperationSpec, route: RouteHandler): OperationObject {
  if (!(String(route.successStatus) in spec.responses)) {
    throw new OpenApiError(
      `${route.name}: answers ${route.successStatus} on success but its PulpOperation does not list it`,
    );
  }
  const secured = !isPublic(route.controller, route.handler);
  const parameters = [
    ...(spec.href ? [hrefParameter(spec.href)] : []),
    ...(spec.query ?? []).map(queryParameter),
  ];
  return {
    operationId: spec.operationId,
    ...(spec.summary && { summary: spec.summary }),
    ...(spec.description && { description: spec.description }),
    ...(spec.tags && { tags: spec.tags }),
    ...(parameters.length > 0 && { parameters }),
    ...(spec.requestBody && {
      requestBody: {
        required: true,
        content: { [JSON_MEDIA_TYPE]: { schema: schemaRef(spec.requestBody) } },
      },
    }),
    responses: responses(spec, secured),
    // Pulp's clients send credentials only to operations whose `security` names a scheme they support.
    ...(secured && { security: [{ basicAuth: [] }] }),
  };
}

function hrefParameter(name: string): ParameterObject {
  return { name, in: 'path', required: true, schema: { type: 'string' } };
}

function queryParameter(parameter: QueryParameter): ParameterObject {
  return {
    name: parameter.name,
    in: 'query',
    description: parameter.description,
    schema: parameter.schema,
    ...(parameter.required && { required: true }),
    ...(parameter.explode === false && { style: 'form', explode: false }),
  };
}

function responses(spec: PulpOperationSpec, secured: boolean): Record<string, ResponseObject> {
  const declared: Record<string, string | null> = { ...spec.responses };
  if (secured) declared['401'] ??= 'ErrorDetailResponse';
  return sortedByKey(
    Object.fromEntries(
      Object.entries(declared).map(([status, schema]) => [
        status,
        {
          description: STATUS_CODES[Number(status)] ?? `HTTP ${status}`,
          ...(schema && { content: { [JSON_MEDIA_TYPE]: { schema: schemaRef(schema) } } }),
        },
      ]),
    ),
  );
}

/** Every `$ref`, in operations and in schemas, names a schema of the document. */
function checkReferences(document: OpenApiDocument): void {
  const visit = (value: unknown, where: string): void => {
    if (Array.isArray(value)) return value.forEach((item) => visit(item, where));
    if (typeof value !== 'object' || value === null) return;
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref') {
        const name = String(child).replace('#/components/schemas/', '');
        if (!(name in document.components.schemas)) {
          throw new OpenApiError(`${where} refers to schema ${name}, which is not in openapi/schemas.ts`);
        }
      } else {
        visit(child, where);
      }
    }
  };
  for (const [path, item] of Object.entries(document.paths)) visit(item, `path ${path}`);
  for (const [name, schema] of Object.entries(document.components.schemas)) visit(schema, `schema ${name}`);
}

function sortedByKey<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
