import { Body, Controller, Get, HttpCode, NotFoundException, Param, Post, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { IsInt, IsObject, IsOptional, IsString, Matches, Min, MinLength } from 'class-validator';
import { Queries } from '@wharf/runtime';
import type { RepositoryView } from '@wharf/contracts';
import { API_ROOT, REPOSITORIES_PATH, isUuid, repositoryHref, repositoryVersionHref } from './hrefs.js';
import { pageRequest, pulpList, type PulpList } from './pagination.js';

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
  constructor(private readonly queries: Queries) {}

  @Post()
  @HttpCode(201)
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
  async read(@Param('id') id: string): Promise<Record<string, unknown>> {
    if (!isUuid(id)) throw new NotFoundException();
    return repositoryJson(await this.queries.ask('content.repository.get', { id }));
  }
}
