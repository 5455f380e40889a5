import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import type { Request } from 'express';
import { IsOptional, IsString } from 'class-validator';
import { Queries } from '@wharf/runtime';
import {
  PUBLICATION_TASKS,
  PUBLICATION_WORKER,
  PUBLICATIONS_HREF_ROOT,
  publicationHref,
  type PublicationView,
  type VersionRef,
} from '@wharf/contracts';
import {
  API_ROOT,
  REPOSITORIES_PATH,
  idFromHref,
  isUuid,
  repositoryHref,
  repositoryVersionHref,
  versionFromHref,
} from './hrefs.js';
import { pageRequest, pulpList, type PulpList } from './pagination.js';
import { FieldValidationException } from './pulp-exception.filter.js';
import { TaskDispatcher, type AsyncOperationResponse } from './task-dispatcher.js';
import { PulpOperation } from './openapi/pulp-operation.decorator.js';
import { LIST_PARAMETERS, filterParameter } from './openapi/query-parameters.js';

export const PUBLICATIONS_PATH = PUBLICATIONS_HREF_ROOT.slice(API_ROOT.length);

const TAGS = ['Publications: Container'];
const HREF_PARAMETER = 'container_container_publication_href';

/** DRF's words for an href that names no resource of the expected kind. */
export const NO_URL_MATCH = 'Invalid hyperlink - No URL match.';

export class PublicationCreateBody {
  @IsOptional()
  @IsString()
  repository?: string;

  @IsOptional()
  @IsString()
  repository_version?: string;
}

/** Pulp's `container.ContainerPublicationResponse` JSON for a publication. */
export function publicationJson(publication: PublicationView): Record<string, unknown> {
  return {
    pulp_href: publicationHref(publication.id),
    prn: `prn:container.containerpublication:${publication.id}`,
    pulp_created: publication.createdAt,
    // Publications never change.
    pulp_last_updated: publication.createdAt,
    repository_version: repositoryVersionHref(publication.repositoryId, publication.repositoryVersion),
    repository: repositoryHref(publication.repositoryId),
  };
}

/** The repository id a `repository` href names; a 400 under `field` when it names no container repository. */
export function repositoryIdField(field: string, href: string): string {
  const id = idFromHref(href, REPOSITORIES_PATH);
  if (!id) throw new FieldValidationException({ [field]: [NO_URL_MATCH] });
  return id;
}

/** The version a `repository_version` href names; a 400 under `field` when it names no repository version. */
export function versionField(field: string, href: string): VersionRef {
  const version = versionFromHref(href);
  if (!version) throw new FieldValidationException({ [field]: [NO_URL_MATCH] });
  return version;
}

/**
 * Pulp's publications: immutable snapshots of a repository version. Creating and deleting one are tasks on
 * the publication worker; a request the publication service refuses never becomes a task.
 */
@Controller(`${API_ROOT.slice(1)}${PUBLICATIONS_PATH}`)
export class PublicationsController {
  constructor(
    private readonly queries: Queries,
    private readonly tasks: TaskDispatcher,
  ) {}

  @Post()
  @HttpCode(202)
  @PulpOperation({
    operationId: 'publications_container_container_create',
    summary: 'Publish a repository version (the latest of a repository, or one given version)',
    tags: TAGS,
    requestBody: 'container.ContainerPublication',
    responses: { '202': 'AsyncOperationResponse', '400': 'ValidationErrorResponse' },
  })
  async create(@Body() body: PublicationCreateBody): Promise<AsyncOperationResponse> {
    const payload = await this.queries.ask('publication.validate-create', {
      repositoryId:
        body.repository === undefined ? undefined : repositoryIdField('repository', body.repository),
      repositoryVersion:
        body.repository_version === undefined
          ? undefined
          : versionField('repository_version', body.repository_version),
    });
    // Reads the repository: it waits for earlier changes to it, and publishes beside other readers.
    return this.tasks.dispatch({
      name: PUBLICATION_TASKS.create,
      worker: PUBLICATION_WORKER,
      payload,
      exclusiveResources: [],
      sharedResources: [repositoryHref(payload.repositoryId)],
    });
  }

  @Get()
  @PulpOperation({
    operationId: 'publications_container_container_list',
    summary: 'List container publications, newest first',
    tags: TAGS,
    query: [
      ...LIST_PARAMETERS,
      filterParameter('repository', 'Only publications of this repository (href).'),
      filterParameter('repository_version', 'Only publications of this repository version (href).'),
    ],
    responses: {
      '200': 'Paginatedcontainer.ContainerPublicationResponseList',
      '400': 'ValidationErrorResponse',
    },
  })
  async list(
    @Req() request: Request,
    @Query() query: Record<string, string>,
  ): Promise<PulpList<Record<string, unknown>>> {
    const page = pageRequest(query);
    const found = await this.queries.ask('publication.list', {
      repositoryId: query.repository ? repositoryIdField('repository', query.repository) : undefined,
      repositoryVersion: query.repository_version
        ? versionField('repository_version', query.repository_version)
        : undefined,
      ...page,
    });
    return pulpList(request, page, found.count, found.results.map(publicationJson));
  }

  @Get(':id')
  @PulpOperation({
    operationId: 'publications_container_container_read',
    summary: 'Inspect a container publication',
    tags: TAGS,
    href: HREF_PARAMETER,
    responses: { '200': 'container.ContainerPublicationResponse', '404': 'ErrorDetailResponse' },
  })
  async read(@Param('id') id: string): Promise<Record<string, unknown>> {
    if (!isUuid(id)) throw new NotFoundException();
    return publicationJson(await this.queries.ask('publication.get', { id }));
  }

  @Delete(':id')
  @HttpCode(202)
  @PulpOperation({
    operationId: 'publications_container_container_delete',
    summary: 'Delete a container publication',
    tags: TAGS,
    href: HREF_PARAMETER,
    responses: { '202': 'AsyncOperationResponse', '404': 'ErrorDetailResponse' },
  })
  async delete(@Param('id') id: string): Promise<AsyncOperationResponse> {
    if (!isUuid(id)) throw new NotFoundException();
    await this.queries.ask('publication.get', { id });
    return this.tasks.dispatch({
      name: PUBLICATION_TASKS.delete,
      worker: PUBLICATION_WORKER,
      payload: { publicationId: id },
      exclusiveResources: [publicationHref(id)],
    });
  }
}
