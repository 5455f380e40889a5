import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { INestApplication, Type } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { createProcessApplication, loadSettings } from '@wharf/runtime';
import { GatewayModule } from './gateway.module.js';
import type { OpenApiDocument } from './openapi/openapi.types.js';
import { routeHandlersOf, type RouteHandler } from './openapi/route-metadata.js';
import { pulpOperationOf } from './openapi/pulp-operation.decorator.js';

// The gateway alone on the in-process bus, serving HTTP on a free port. No service answers its queries,
// which these tests never need: they stop at the document, the guard and the status probes.
const PASSWORD = 'gateway-test-password';
const REPOSITORIES = '/pulp/api/v3/repositories/container/container/';
const committedDocument = join(import.meta.dirname, '..', '..', '..', 'docs', 'api.json');

let app: INestApplication;
let baseUrl: string;

beforeAll(async () => {
  const settings = loadSettings(
    { WHARF_ADMIN_PASSWORD: PASSWORD },
    { bus: 'memory', eventStore: 'sqlite', blobStore: 'fs', httpPortVariable: 'WHARF_API_PORT', httpPort: 0 },
  );
  app = await createProcessApplication('gateway', settings, [GatewayModule], false);
  await app.listen(0, '127.0.0.1');
  baseUrl = `http://127.0.0.1:${((app.getHttpServer() as Server).address() as AddressInfo).port}`;
});

afterAll(async () => {
  await app?.close();
});

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const get = (path: string, authorization?: string) =>
  fetch(`${baseUrl}${path}`, { headers: authorization ? { Authorization: authorization } : {} });

async function servedDocument(): Promise<OpenApiDocument> {
  return (await (await get('/pulp/api/v3/docs/api.json')).json()) as OpenApiDocument;
}

/**
 * A route as the document must show it: paths with parameters become `{href}` plus what follows the last
 * parameter (Pulp's clients substitute whole hrefs), others end with a slash unless file-like.
 */
function documentedForm(routePath: string): string {
  const segments = routePath.split('/').filter(Boolean);
  const lastParameter = segments.findLastIndex((s) => s.startsWith(':'));
  const rest = segments.slice(lastParameter + 1).join('/');
  const tail = rest === '' || rest.split('/').at(-1)!.includes('.') ? rest : `${rest}/`;
  return lastParameter < 0 ? `/${tail}` : `{href}${tail}`;
}

describe('the OpenAPI document', () => {
  it('documents every route the server registered (except health probes and metrics), and nothing else', async () => {
    // Express's route table is the ground truth; each route is traced to its handler to name the culprit.
    const router = (app.getHttpAdapter().getInstance() as { router: { stack: RouterLayer[] } }).router;
    const registered = router.stack.flatMap(({ route }) =>
      route && !['/healthz', '/readyz', '/metrics'].includes(route.path)
        ? Object.keys(route.methods).map((method) => ({ method, path: route.path }))
        : [],
    );
    const handlers = new Map<string, RouteHandler>(
      app
        .get(DiscoveryService)
        .getControllers()
        .flatMap((wrapper) => routeHandlersOf(wrapper.metatype as Type))
        .flatMap((handler) => handler.paths.map((path) => [`${handler.verb} ${path}`, handler] as const)),
    );
    const documented = new Map(
      Object.entries((await servedDocument()).paths).flatMap(([path, item]) =>
        Object.entries(item).map(([method, operation]) => [
          operation.operationId,
          `${method} ${path.replace(/^\{[a-z0-9_]+\}/, '{href}')}`,
        ]),
      ),
    );
    const problems = registered.flatMap(({ method, path }) => {
      const handler = handlers.get(`${method} ${path}`);
      if (!handler) return [`${method} ${path}: not registered by a controller`];
      const spec = pulpOperationOf(handler.handler);
      if (!spec) return [`${method} ${path}: ${handler.name} has no @PulpOperation`];
      if (documented.get(spec.operationId) !== `${method} ${documentedForm(path)}`) {
        return [`${method} ${path}: ${spec.operationId} is not documented at ${documentedForm(path)}`];
      }
      return [];
    });
    expect(problems).toEqual([]);
    expect(documented.size, 'operations without a route').toBe(registered.length);
  });

  it('gives every operation a unique, Pulp-shaped operationId', async () => {
    const operations = Object.values((await servedDocument()).paths).flatMap((item) => Object.values(item));
    const ids = operations.map((operation) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-z0-9_]*$/);
    expect(ids).toEqual(
      expect.arrayContaining([
        'repositories_container_container_create',
        'repositories_container_container_list',
        'repositories_container_container_read',
        'tasks_read',
        'status_read',
        'docs_api_json_read',
      ]),
    );
  });

  it('says what Pulp clients need: versions, basic auth, list parameters, hrefs, bodies', async () => {
    const response = await get('/pulp/api/v3/docs/api.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const document = (await response.json()) as OpenApiDocument;
    expect(document.openapi).toBe('3.0.3');
    expect(document.info['x-pulp-app-versions']).toEqual({ core: '3.73.0', container: '2.24.0' });
    expect(document.info['x-pulp-domain-enabled']).toBe(false);
    expect(document.components.securitySchemes.basicAuth).toEqual({ type: 'http', scheme: 'basic' });

    const repositories = document.paths[REPOSITORIES]!;
    expect(repositories.post!.security).toEqual([{ basicAuth: [] }]);
    expect(repositories.post!.requestBody!.content['application/json']!.schema).toEqual({
      $ref: '#/components/schemas/container.ContainerRepository',
    });
    expect(Object.keys(repositories.post!.responses)).toEqual(['201', '400', '401']);
    expect(repositories.get!.parameters!.map((p) => p.name)).toEqual(
      expect.arrayContaining(['limit', 'offset', 'fields', 'exclude_fields', 'ordering', 'name']),
    );
    const read = document.paths['{container_container_repository_href}']!.get!;
    expect(read.parameters).toContainEqual(
      expect.objectContaining({ name: 'container_container_repository_href', in: 'path', required: true }),
    );
    expect(document.components.schemas['Paginatedcontainer.ContainerRepositoryResponseList']).toBeDefined();
    expect(document.paths['/pulp/api/v3/status/']!.get!.security).toBeUndefined();
    expect(document.paths['/pulp/api/v3/docs/api.json']!.get!.security).toBeUndefined();
  });

  it('matches the committed docs/api.json (run `npm run openapi` after changing the API)', async () => {
    const committed: unknown = JSON.parse(readFileSync(committedDocument, 'utf8'));
    expect(committed, 'docs/api.json is stale: run `npm run openapi`').toEqual(await servedDocument());
  });
});

describe('authentication', () => {
  it('answers 401 with a Basic challenge when credentials are missing', async () => {
    const response = await get(REPOSITORIES);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Basic realm="Wharf"');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(await response.json()).toEqual({ detail: 'Authentication credentials were not provided.' });
  });

  it('answers 401 for a wrong password, a wrong user or a malformed header', async () => {
    for (const authorization of [basic('admin', 'wrong'), basic('root', PASSWORD), basic('admin', '')]) {
      const response = await get(REPOSITORIES, authorization);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Basic realm="Wharf"');
      expect(await response.json()).toEqual({ detail: 'Invalid username/password.' });
    }
    const garbled = await get(REPOSITORIES, 'Basic !!!');
    expect(garbled.status).toBe(401);
    expect(await garbled.json()).toEqual({
      detail: 'Invalid basic header. Credentials not correctly base64 encoded.',
    });
  });

  it('lets the admin through', async () => {
    // A malformed id is refused by the handler itself, after the guard: 404, not 401.
    const response = await get(`${REPOSITORIES}not-a-uuid/`, basic('admin', PASSWORD));
    expect(response.status).toBe(404);
  });

  it('guards the route however the URL is cased (Express matches case-insensitively)', async () => {
    const response = await get(REPOSITORIES.toUpperCase());
    expect(response.status).toBe(401);
  });

  it('leaves status/, docs/api.json and the health probes open', async () => {
    for (const path of ['/pulp/api/v3/status/', '/pulp/api/v3/docs/api.json', '/healthz', '/readyz']) {
      expect((await get(path)).status, path).toBe(200);
    }
  });
});

describe('status/', () => {
  it("reports versions and this process's own dependencies only", async () => {
    const response = await get('/pulp/api/v3/status/');
    expect(response.headers.get('content-type')).toBe('application/json');
    const status = (await response.json()) as Record<string, unknown>;
    expect(status.versions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ component: 'core', version: '3.73.0' }),
        expect.objectContaining({ component: 'container', version: '2.24.0' }),
        expect.objectContaining({ component: 'wharf' }),
      ]),
    );
    expect(status.bus_connection).toEqual({ connected: true });
    // A gateway alone owns no database or blob store, so it does not claim to know their health.
    expect(status.database_connection).toEqual({ connected: null });
    expect(status.storage).toEqual({ connected: null });
    expect(status.checks).toEqual({ 'bus:memory': true });
    expect(status.domain_enabled).toBe(false);
  });
});

interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean> };
}
