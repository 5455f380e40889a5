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
import { IsBoolean, IsObject, IsOptional, IsString, MinLength } from 'class-validator';
import { Infrastructure, Queries } from '@wharf/runtime';
import {
  DISTRIBUTION_TASKS,
  DISTRIBUTION_WORKER,
  DISTRIBUTIONS_HREF_ROOT,
  DISTRIBUTIONS_RESOURCE,
  distributionHref,
  publicationHref,
  type CreateDistributionRequest,
  type DistributionFields,
  type DistributionView,
} from '@wharf/contracts';
import { API_ROOT, idFromHref, isUuid, repositoryHref, repositoryVersionHref } from './hrefs.js';
import { pageRequest, pulpList, type PulpList } from './pagination.js';
import { FieldValidationException } from './pulp-exception.filter.js';
import { TaskDispatcher, type AsyncOperationResponse } from './task-dispatcher.js';
import {
  NO_URL_MATCH,
  PUBLICATIONS_PATH,
  repositoryIdField,
  versionField,
} from './publications.controller.js';
import { PulpOperation } from './openapi/pulp-operation.decorator.js';
import { LIST_PARAMETERS, filterParameter } from './openapi/query-parameters.js';

export const DISTRIBUTIONS_PATH = DISTRIBUTIONS_HREF_ROOT.slice(API_ROOT.length);

const TAGS = ['Distributions: Container'];
const HREF_PARAMETER = 'container_container_distribution_href';
const NOT_BLANK = { message: 'This field may not be blank.' };

/** What a distribution serves and how; `null` clears a field. */
class DistributionSettingsBody {
  @IsOptional()
  @IsString()
  repository?: string | null;

  @IsOptional()
  @IsString()
  repository_version?: string | null;

  @IsOptional()
  @IsString()
  publication?: string | null;

  @IsOptional()
  @IsString()
  content_guard?: string | null;

  @IsOptional()
  @IsBoolean()
  private?: boolean;

  @IsOptional()
  @IsBoolean()
  hidden?: boolean;

  @IsOptional()
  @IsString()
  description?: string | null;

  @IsOptional()
  @IsObject()
  pulp_labels?: Record<string, string>;
}

/** A partial update (PATCH): each field given replaces the current value, the others stay. */
export class DistributionPatchBody extends DistributionSettingsBody {
  @IsOptional()
  @IsString()
  @MinLength(1, NOT_BLANK)
  name?: string;

  @IsOptional()
  @IsString()
  @MinLength(1, NOT_BLANK)
  base_path?: string;
}

/** Create and full update (PUT) need a name and a base path. */
export class DistributionBody extends DistributionSettingsBody {
  @IsString()
  @MinLength(1, NOT_BLANK)
  name!: string;

  @IsString()
  @MinLength(1, NOT_BLANK)
  base_path!: string;
}

/** Pulp's `container.ContainerDistributionResponse` JSON; `registryHost` is where clients pull from. */
export function distributionJson(
  distribution: DistributionView,
  registryHost: string,
): Record<string, unknown> {
  const version = distribution.repositoryVersion;
  return {
    pulp_href: distributionHref(distribution.id),
    prn: `prn:container.containerdistribution:${distribution.id}`,
    pulp_created: distribution.createdAt,
    pulp_last_updated: distribution.updatedAt,
    base_path: distribution.basePath,
    content_guard: null,
    hidden: distribution.hidden,
    pulp_labels: distribution.pulpLabels,
    name: distribution.name,
    repository: distribution.repositoryId ? repositoryHref(distribution.repositoryId) : null,
    repository_version: version ? repositoryVersionHref(version.repositoryId, version.version) : null,
    publication: distribution.publicationId ? publicationHref(distribution.publicationId) : null,
    registry_path: `${registryHost}/${distribution.basePath}`,
    remote: null,
    namespace: null,
    private: distribution.private,
    description: distribution.description,
  };
}

/** The request's fields in the services' terms; fields the body leaves out stay out. */
function distributionFields(body: DistributionPatchBody | DistributionBody): DistributionFields {
  if (body.content_guard) {
    // Wharf has no content guards (yet), so no href can name one.
    throw new FieldValidationException({ content_guard: ['Invalid hyperlink - Object does not exist.'] });
  }
  const labels = body.pulp_labels;
  if (labels && Object.values(labels).some((value) => typeof value !== 'string')) {
    throw new FieldValidationException({ pulp_labels: ['Label values must be strings.'] });
  }
  const href = <T>(value: string | null | undefined, parse: (href: string) => T): T | null | undefined =>
    value === undefined || value === null ? value : parse(value);
  return {
    name: body.name,
    basePath: body.base_path,
    repositoryId: href(body.repository, (h) => repositoryIdField('repository', h)),
    repositoryVersion: href(body.repository_version, (h) => versionField('repository_version', h)),
    publicationId: href(body.publication, (h) => {
      const id = idFromHref(h, PUBLICATIONS_PATH);
      if (!id) throw new FieldValidationException({ publication: [NO_URL_MATCH] });
      return id;
    }),
    private: body.private,
    hidden: body.hidden,
    description: body.description,
    pulpLabels: labels,
  };
}

/**
 * Pulp's container distributions: the base paths content is served at. Writes are tasks on the distribution
 * worker, each holding every distribution (base paths must not overlap, a rule over all of them); a request
 * the distribution service refuses never becomes a task.
 */
@Controller(`${API_ROOT.slice(1)}${DISTRIBUTIONS_PATH}`)
export class DistributionsController {
  constructor(
    private readonly queries: Queries,
    private readonly tasks: TaskDispatcher,
    private readonly infrastructure: Infrastructure,
  ) {}

  @Post()
  @HttpCode(202)
  @PulpOperation({
    operationId: 'distributions_container_container_create',
    summary: 'Serve a repository, a repository version or a publication at a base path',
    tags: TAGS,
    requestBody: 'container.ContainerDistribution',
    responses: { '202': 'AsyncOperationResponse', '400': 'ValidationErrorResponse' },
  })
  async create(@Body() body: DistributionBody): Promise<AsyncOperationResponse> {
    const fields: CreateDistributionRequest = {
      ...distributionFields(body),
      name: body.name,
      basePath: body.base_path,
    };
    const payload = await this.queries.ask('distribution.validate-create', fields);
    return this.tasks.dispatch({
      name: DISTRIBUTION_TASKS.create,
      worker: DISTRIBUTION_WORKER,
      payload,
      exclusiveResources: [DISTRIBUTIONS_RESOURCE],
    });
  }

  @Get()
  @PulpOperation({
    operationId: 'distributions_container_container_list',
    summary: 'List container distributions',
    tags: TAGS,
    query: [
      ...LIST_PARAMETERS,
      filterParameter('name', 'Only the distribution with this name.'),
      filterParameter('name__contains', 'Only distributions whose name contains this text.'),
      filterParameter('base_path', 'Only the distribution with this base path.'),
      filterParameter('base_path__contains', 'Only distributions whose base path contains this text.'),
    ],
    responses: { '200': 'Paginatedcontainer.ContainerDistributionResponseList' },
  })
  async list(
    @Req() request: Request,
    @Query() query: Record<string, string>,
  ): Promise<PulpList<Record<string, unknown>>> {
    const page = pageRequest(query);
    const found = await this.queries.ask('distribution.list', {
      name: query.name,
      nameContains: query.name__contains,
      basePath: query.base_path,
      basePathContains: query.base_path__contains,
      ...page,
    });
    const host = this.registryHost(request);
    return pulpList(
      request,
      page,
      found.count,
      found.results.map((distribution) => distributionJson(distribution, host)),
    );
  }

  @Get(':id')
  @PulpOperation({
    operationId: 'distributions_container_container_read',
    summary: 'Inspect a container distribution',
    tags: TAGS,
    href: HREF_PARAMETER,
    responses: { '200': 'container.ContainerDistributionResponse', '404': 'ErrorDetailResponse' },
  })
  async read(@Req() request: Request, @Param('id') id: string): Promise<Record<string, unknown>> {
    if (!isUuid(id)) throw new NotFoundException();
    return distributionJson(await this.queries.ask('distribution.get', { id }), this.registryHost(request));
  }

  @Patch(':id')
  @HttpCode(202)
  @PulpOperation({
    operationId: 'distributions_container_container_partial_update',
    summary: 'Change some settings of a container distribution',
    tags: TAGS,
    href: HREF_PARAMETER,
    requestBody: 'Patchedcontainer.ContainerDistribution',
    responses: {
      '202': 'AsyncOperationResponse',
      '400': 'ValidationErrorResponse',
      '404': 'ErrorDetailResponse',
    },
  })
  partialUpdate(
    @Param('id') id: string,
    @Body() body: DistributionPatchBody,
  ): Promise<AsyncOperationResponse> {
    return this.update(id, body);
  }

  @Put(':id')
  @HttpCode(202)
  @PulpOperation({
    operationId: 'distributions_container_container_update',
    summary: 'Change the settings of a container distribution (name and base path required)',
    tags: TAGS,
    href: HREF_PARAMETER,
    requestBody: 'container.ContainerDistribution',
    responses: {
      '202': 'AsyncOperationResponse',
      '400': 'ValidationErrorResponse',
      '404': 'ErrorDetailResponse',
    },
  })
  fullUpdate(@Param('id') id: string, @Body() body: DistributionBody): Promise<AsyncOperationResponse> {
    return this.update(id, body);
  }

  @Delete(':id')
  @HttpCode(202)
  @PulpOperation({
    operationId: 'distributions_container_container_delete',
    summary: 'Stop serving a container distribution and delete it',
    tags: TAGS,
    href: HREF_PARAMETER,
    responses: { '202': 'AsyncOperationResponse', '404': 'ErrorDetailResponse' },
  })
  async delete(@Param('id') id: string): Promise<AsyncOperationResponse> {
    if (!isUuid(id)) throw new NotFoundException();
    await this.queries.ask('distribution.get', { id });
    return this.tasks.dispatch({
      name: DISTRIBUTION_TASKS.delete,
      worker: DISTRIBUTION_WORKER,
      payload: { distributionId: id },
      exclusiveResources: [DISTRIBUTIONS_RESOURCE, distributionHref(id)],
    });
  }

  private async update(
    id: string,
    body: DistributionPatchBody | DistributionBody,
  ): Promise<AsyncOperationResponse> {
    if (!isUuid(id)) throw new NotFoundException();
    const payload = await this.queries.ask('distribution.validate-update', {
      id,
      changes: distributionFields(body),
    });
    return this.tasks.dispatch({
      name: DISTRIBUTION_TASKS.update,
      worker: DISTRIBUTION_WORKER,
      payload,
      exclusiveResources: [DISTRIBUTIONS_RESOURCE, distributionHref(id)],
    });
  }

  /** The registry API listens on its own port, on the host the client reached this API by. */
  private registryHost(request: Request): string {
    return `${request.hostname}:${this.infrastructure.settings.registryPort}`;
  }
}
