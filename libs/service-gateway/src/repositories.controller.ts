import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
} from '@nestjs/common';
import type { Request } from 'express';
import { IsInt, IsObject, IsOptional, IsString, Matches, Min, MinLength } from 'class-validator';
import { Queries } from '@wharf/runtime';
import type { ContentTaskPayload, RepositoryView } from '@wharf/contracts';
import { TaskDispatcher, type AsyncOperationResponse } from './task-dispatcher.js';
import { API_ROOT, REPOSITORIES_PATH, isUuid, repositoryHref, repositoryVersionHref } from './hrefs.js';
import { pageRequest, pulpList, type PulpList } from './pagination.js';
import { PulpOperation } from './openapi/pulp-operation.decorator.js';
import { LIST_PARAMETERS, filterParameter } from './openapi/query-parameters.js';

const TAGS = ['Repositories: Container'];

export class RepositoryCreateBody {
  @IsString()
  @MinLength(1, { message: 'This field may not be blank.' })
  name!: string;

  @IsOptional()
  @IsString()
  description?: string | null;

  @IsOptional()
  @IsInt()
  @Min(1)
  retain_repo_versions?: number | null;

  @IsOptional()
  @IsString()
  @Matches(/^\/pulp\/api\/v3\/remotes\/container\/container\/[0-9a-f-]{36}\/$/, {
    message: 'Expected a container remote href.',
  })
  remote?: string | null;

  @IsOptional()
  @IsObject()
  pulp_labels?: Record<string, string>;
}

export class RepositoryUpdateBody {
  @IsOptional()
  @IsString()
  @MinLength(1, { message: 'This field may not be blank.' })
  name?: string;

  @IsOptional()
  @IsString()
  description?: string | null;

  @IsOptional()
  @IsInt()
  @Min(1)
  retain_repo_versions?: number | null;

  @IsOptional()
  @IsString()
  @Matches(/^\/pulp\/api\/v3\/remotes\/container\/container\/[0-9a-f-]{36}\/$/, {
    message: 'Expected a container remote href.',
  })
  remote?: string | null;

  @IsOptional()
  @IsObject()
  pulp_labels?: Record<string, string>;
}

/** Pulp's `container.ContainerRepository` JSON for a repository. */
export function repositoryJson(repository: RepositoryView): Record<string, unknown> {
  const href = repositoryHref(repository.id);
  return {
    pulp_href: href,
    prn: `prn:container.containerrepository:${repository.id}`,
    pulp_created: repository.createdAt,
    pulp_last_updated: repository.updatedAt,
    versions_href: `${href}versions/`,
    pulp_labels: {},
    latest_version_href: repositoryVersionHref(repository.id, repository.latestVersion),
    name: repository.name,
    description: repository.description,
    retain_repo_versions: repository.retainRepoVersions,
    remote: repository.remote ? `${API_ROOT}remotes/container/container/${repository.remote}/` : null,
  };
}

/** Thin: decode, ask the content service, shape the answer. */
@Controller(`${API_ROOT.slice(1)}${REPOSITORIES_PATH}`)
export class RepositoriesController {
  constructor(
    private readonly queries: Queries,
    private readonly tasks: TaskDispatcher,
  ) {}

  @Post()
  @HttpCode(201)
  @PulpOperation({
    operationId: 'repositories_container_container_create',
    summary: 'Create a container repository',
    tags: TAGS,
    requestBody: 'container.ContainerRepository',
    responses: { '201': 'container.ContainerRepositoryResponse', '400': 'ValidationErrorResponse' },
  })
  async create(@Body() body: RepositoryCreateBody): Promise<Record<string, unknown>> {
    const repository = await this.queries.ask('content.repository.create', {
      name: body.name,
      description: body.description ?? null,
      retainRepoVersions: body.retain_repo_versions ?? null,
      remote: body.remote ? body.remote.split('/').at(-2)! : null,
    });
    return repositoryJson(repository);
  }

  @Get()
  @PulpOperation({
    operationId: 'repositories_container_container_list',
    summary: 'List container repositories',
    tags: TAGS,
    query: [
      ...LIST_PARAMETERS,
      filterParameter('name', 'Only the repository with this name.'),
      filterParameter('name__contains', 'Only repositories whose name contains this text.'),
      filterParameter('name__startswith', 'Only repositories whose name starts with this text.'),
    ],
    responses: { '200': 'Paginatedcontainer.ContainerRepositoryResponseList' },
  })
  async list(
    @Req() request: Request,
    @Query() query: Record<string, string>,
  ): Promise<PulpList<Record<string, unknown>>> {
    const page = pageRequest(query);
    const found = await this.queries.ask('content.repository.list', {
      name: query.name,
      nameContains: query.name__contains,
      nameStartsWith: query.name__startswith,
      ...page,
    });
    return pulpList(request, page, found.count, found.results.map(repositoryJson));
  }

  @Get(':id')
  @PulpOperation({
    operationId: 'repositories_container_container_read',
    summary: 'Inspect a container repository',
    tags: TAGS,
    href: 'container_container_repository_href',
    responses: { '200': 'container.ContainerRepositoryResponse', '404': 'ErrorDetailResponse' },
  })
  async read(@Param('id') id: string): Promise<Record<string, unknown>> {
    if (!isUuid(id)) throw new NotFoundException();
    return repositoryJson(await this.queries.ask('content.repository.get', { id }));
  }

  @Patch(':id')
  @HttpCode(202)
  @PulpOperation({
    operationId: 'repositories_container_container_partial_update',
    summary: 'Change some settings of a container repository',
    tags: TAGS,
    href: 'container_container_repository_href',
    requestBody: 'Patchedcontainer.ContainerRepository',
    responses: {
      '202': 'AsyncOperationResponse',
      '400': 'ValidationErrorResponse',
      '404': 'ErrorDetailResponse',
    },
  })
  partialUpdate(
    @Param('id') id: string,
    @Body() body: RepositoryUpdateBody,
  ): Promise<AsyncOperationResponse> {
    return this.update(id, body);
  }

  @Put(':id')
  @HttpCode(202)
  @PulpOperation({
    operationId: 'repositories_container_container_update',
    summary: 'Replace the settings of a container repository',
    tags: TAGS,
    href: 'container_container_repository_href',
    requestBody: 'container.ContainerRepository',
    responses: {
      '202': 'AsyncOperationResponse',
      '400': 'ValidationErrorResponse',
      '404': 'ErrorDetailResponse',
    },
  })
  replace(@Param('id') id: string, @Body() body: RepositoryCreateBody): Promise<AsyncOperationResponse> {
    return this.update(id, {
      ...body,
      description: body.description ?? null,
      retain_repo_versions: body.retain_repo_versions ?? null,
      remote: body.remote ?? null,
    });
  }

  @Delete(':id')
  @HttpCode(202)
  @PulpOperation({
    operationId: 'repositories_container_container_delete',
    summary: 'Delete a container repository',
    tags: TAGS,
    href: 'container_container_repository_href',
    responses: { '202': 'AsyncOperationResponse', '404': 'ErrorDetailResponse' },
  })
  async delete(@Param('id') id: string): Promise<AsyncOperationResponse> {
    await this.existing(id);
    const payload: ContentTaskPayload<'content.repository.delete'> = {
      operation: 'content.repository.delete',
      request: { id },
    };
    return this.tasks.dispatch({
      name: 'pulpcore.app.tasks.base.general_delete',
      worker: 'content',
      payload,
      exclusiveResources: [repositoryHref(id)],
    });
  }

  private async update(id: string, body: RepositoryUpdateBody): Promise<AsyncOperationResponse> {
    await this.existing(id);
    const payload: ContentTaskPayload<'content.repository.update'> = {
      operation: 'content.repository.update',
      request: {
        id,
        changes: {
          name: body.name,
          description: body.description,
          retainRepoVersions: body.retain_repo_versions,
          remote: body.remote === undefined ? undefined : body.remote ? body.remote.split('/').at(-2)! : null,
        },
      },
    };
    return this.tasks.dispatch({
      name: 'pulpcore.app.tasks.base.general_update',
      worker: 'content',
      payload,
      exclusiveResources: [repositoryHref(id)],
    });
  }

  private async existing(id: string): Promise<void> {
    if (!isUuid(id)) throw new NotFoundException();
    await this.queries.ask('content.repository.get', { id });
  }
}
