import { describe, expect, it } from 'vitest';
import { Controller, Get, HttpCode, Patch, Post, type Type } from '@nestjs/common';
import { Public } from '../auth/public.decorator.js';
import { buildOpenApiDocument } from './openapi-generator.js';
import { PulpOperation, type PulpOperationSpec } from './pulp-operation.decorator.js';
import { LIST_PARAMETERS, filterParameter } from './query-parameters.js';
import type { SchemaName } from './schemas.js';

@Controller('pulp/api/v3/repositories/container/container/')
class Repositories {
  @Get()
  @PulpOperation({
    operationId: 'repositories_container_container_list',
    query: [...LIST_PARAMETERS, filterParameter('name', 'By name.')],
    responses: { '200': 'Paginatedcontainer.ContainerRepositoryResponseList' },
  })
  list(): void {}

  @Get(':id')
  @PulpOperation({
    operationId: 'repositories_container_container_read',
    href: 'container_container_repository_href',
    responses: { '200': 'container.ContainerRepositoryResponse', '404': 'ErrorDetailResponse' },
  })
  read(): void {}

  @Post(':id/sync')
  @HttpCode(202)
  @PulpOperation({
    operationId: 'repositories_container_container_sync',
    href: 'container_container_repository_href',
    responses: { '202': 'AsyncOperationResponse' },
  })
  sync(): void {}

  @Get(':id/versions/:number')
  @PulpOperation({
    operationId: 'repositories_container_container_versions_read',
    href: 'container_container_repository_version_href',
    responses: { '200': 'TaskResponse' },
  })
  readVersion(): void {}

  @Get(':id/undocumented')
  undocumented(): void {}
}

@Controller('pulp/api/v3/status')
class Status {
  @Get()
  @Public()
  @PulpOperation({ operationId: 'status_read', responses: { '200': 'StatusResponse' } })
  read(): void {}
}

/** A controller with one handler, for the failure cases. */
function controllerWith(route: string, spec: PulpOperationSpec, verb = Get, status?: number): Type {
  @Controller('pulp/api/v3/things/')
  class Things {
    @verb(route)
    @PulpOperation(spec)
    handle(): void {}
  }
  if (status)
    HttpCode(status)(
      Things.prototype,
      'handle',
      Object.getOwnPropertyDescriptor(Things.prototype, 'handle')!,
    );
  return Things;
}

describe('buildOpenApiDocument', () => {
  const document = buildOpenApiDocument([Repositories, Status]);

  it('writes Pulp paths: trailing slashes, and whole hrefs in place of ids', () => {
    expect(Object.keys(document.paths)).toEqual([
      '/pulp/api/v3/repositories/container/container/',
      '/pulp/api/v3/status/',
      '{container_container_repository_href}',
      '{container_container_repository_href}sync/',
      '{container_container_repository_version_href}',
    ]);
    expect(document.paths['{container_container_repository_href}sync/']!.post!.parameters).toEqual([
      { name: 'container_container_repository_href', in: 'path', required: true, schema: { type: 'string' } },
    ]);
  });

  it('leaves out handlers without @PulpOperation', () => {
    const ids = Object.values(document.paths).flatMap((item) =>
      Object.values(item).map((o) => o.operationId),
    );
    expect(ids).toHaveLength(5);
  });

  it('asks for basic auth everywhere but on public handlers, and documents the 401', () => {
    const list = document.paths['/pulp/api/v3/repositories/container/container/']!.get!;
    expect(list.security).toEqual([{ basicAuth: [] }]);
    expect(Object.keys(list.responses)).toEqual(['200', '401']);
    const status = document.paths['/pulp/api/v3/status/']!.get!;
    expect(status.security).toBeUndefined();
    expect(Object.keys(status.responses)).toEqual(['200']);
  });

  it('declares query parameters, with comma-separated lists where the handler expects them', () => {
    const parameters = document.paths['/pulp/api/v3/repositories/container/container/']!.get!.parameters!;
    expect(parameters.map((p) => p.name)).toEqual([
      'limit',
      'offset',
      'ordering',
      'fields',
      'exclude_fields',
      'name',
    ]);
    expect(parameters.find((p) => p.name === 'ordering')).toMatchObject({
      in: 'query',
      style: 'form',
      explode: false,
    });
  });

  it('describes responses with their schemas, as application/json exactly', () => {
    const sync = document.paths['{container_container_repository_href}sync/']!.post!;
    expect(sync.responses['202']).toEqual({
      description: 'Accepted',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/AsyncOperationResponse' } } },
    });
  });

  it('refuses a route with path parameters but no href name', () => {
    const spec = { operationId: 'things_read', responses: { '200': 'TaskResponse' as const } };
    expect(() => buildOpenApiDocument([controllerWith(':id', spec)])).toThrow(
      /Things.handle: \/pulp\/api\/v3\/things\/:id has path parameters; name the href parameter/,
    );
  });

  it('refuses operationIds that are not Pulp-shaped', () => {
    for (const operationId of ['getThings', 'widgets_list', 'things-list']) {
      const spec = { operationId, responses: { '200': 'TaskResponse' as const } };
      expect(() => buildOpenApiDocument([controllerWith('', spec)])).toThrow(
        /is not Pulp-shaped.*things_<action>/,
      );
    }
  });

  it('refuses the same operationId twice, naming both handlers', () => {
    const spec = { operationId: 'things_list', responses: { '200': 'TaskResponse' as const } };
    expect(() => buildOpenApiDocument([controllerWith('', spec), controllerWith('', spec, Patch)])).toThrow(
      /operationId things_list is already used by Things.handle/,
    );
  });

  it('refuses two operations on one method and path', () => {
    const read = (operationId: string) => ({
      operationId,
      href: 'thing_href',
      responses: { '200': 'TaskResponse' as const },
    });
    expect(() =>
      buildOpenApiDocument([
        controllerWith(':id', read('things_read')),
        controllerWith(':id', read('things_show')),
      ]),
    ).toThrow(/things_read has the same method and path; name a different href/);
  });

  it('refuses a handler whose success status is not among its responses', () => {
    const spec = { operationId: 'things_create', responses: { '200': 'TaskResponse' as const } };
    expect(() => buildOpenApiDocument([controllerWith('', spec, Post)])).toThrow(/answers 201 on success/);
    expect(() => buildOpenApiDocument([controllerWith('', spec, Post, 202)])).toThrow(
      /answers 202 on success/,
    );
  });

  it('refuses a reference to a schema that does not exist', () => {
    const spec = { operationId: 'things_list', responses: { '200': 'ThingResponse' as SchemaName } };
    expect(() => buildOpenApiDocument([controllerWith('', spec)])).toThrow(
      /refers to schema ThingResponse, which is not in openapi\/schemas.ts/,
    );
  });
});
