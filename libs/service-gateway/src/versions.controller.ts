import { PulpOperation } from './openapi/pulp-operation.decorator.js';
import { LIST_PARAMETERS, filterParameter } from './openapi/query-parameters.js';
import { Controller, Delete, Get, HttpCode, NotFoundException, Param, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { Queries } from '@wharf/runtime';
import {
  MAX_KEYSET_PAGE_LIMIT,
  UNIT_TYPES,
  type ContentSummaryView,
  type ContentTaskPayload,
  type RepositoryVersionView,
  type UnitType,
} from '@wharf/contracts';
import { API_ROOT, REPOSITORIES_PATH, isUuid, repositoryHref, repositoryVersionHref } from './hrefs.js';
import { CONTENT_PATHS, PULP_CONTENT_TYPES, unitHref } from './content-hrefs.js';
import { pageRequest, pulpList, type PulpList } from './pagination.js';
import { FieldValidationException } from './pulp-exception.filter.js';
import { TaskDispatcher, type AsyncOperationResponse } from './task-dispatcher.js';

type SummaryPart = keyof ContentSummaryView;
const MEMBERSHIP_FILTER: Readonly<Record<SummaryPart, string>> = {
  added: 'repository_version_added',
  removed: 'repository_version_removed',
  present: 'repository_version',
};

/** Pulp's content_summary: per part, the types with units, each with a count and the href listing them. */
function contentSummaryJson(version: RepositoryVersionView): Record<SummaryPart, Record<string, unknown>> {
  const href = repositoryVersionHref(version.repositoryId, version.number);
  const part = (name: SummaryPart) =>
    Object.fromEntries(
      UNIT_TYPES.filter((type) => version.contentSummary[name][type] > 0).map((type) => [
        PULP_CONTENT_TYPES[type],
        {
          count: version.contentSummary[name][type],
          href: `${API_ROOT}${CONTENT_PATHS[type]}?${MEMBERSHIP_FILTER[name]}=${href}`,
        },
      ]),
    );
  return { added: part('added'), removed: part('removed'), present: part('present') };
}

export function versionJson(version: RepositoryVersionView): Record<string, unknown> {
  return {
    pulp_href: repositoryVersionHref(version.repositoryId, version.number),
    prn: `prn:core.repositoryversion:${version.repositoryId}/${version.number}`,
    pulp_created: version.createdAt,
    pulp_last_updated: version.createdAt,
    number: version.number,
    repository: repositoryHref(version.repositoryId),
    base_version:
      version.baseVersion === null ? null : repositoryVersionHref(version.repositoryId, version.baseVersion),
    content_summary: contentSummaryJson(version),
  };
}

function versionNumber(raw: string): number {
  if (!/^\d+$/.test(raw)) throw new NotFoundException();
  return Number(raw);
}

/** `{repository_href}versions/`: read, list, delete, and Wharf's own diff. */
@Controller(`${API_ROOT.slice(1)}${REPOSITORIES_PATH}:id/versions`)
export class VersionsController {
  constructor(
    private readonly queries: Queries,
    private readonly tasks: TaskDispatcher,
  ) {}

  @Get()
  @PulpOperation({
    operationId: 'repositories_container_container_versions_list',
    summary: 'List the versions of a container repository',
    tags: ['Repositories: Container Versions'],
    href: 'container_container_repository_href',
    query: [
      ...LIST_PARAMETERS,
      filterParameter('number', 'Only the version with this number.', { type: 'integer' }),
    ],
    responses: { '200': 'PaginatedRepositoryVersionResponseList', '404': 'ErrorDetailResponse' },
  })
  async list(
    @Req() request: Request,
    @Param('id') id: string,
    @Query() query: Record<string, string>,
  ): Promise<PulpList<unknown>> {
    if (!isUuid(id)) throw new NotFoundException();
    const page = pageRequest(query);
    const number = query.number === undefined ? undefined : Number(query.number);
    if (number !== undefined && !Number.isInteger(number)) {
      throw new FieldValidationException({ number: ['Enter a whole number.'] });
    }
    const found = await this.queries.ask('content.version.list', { repositoryId: id, number, ...page });
    return pulpList(request, page, found.count, found.results.map(versionJson));
  }

  @Get(':number')
  @PulpOperation({
    operationId: 'repositories_container_container_versions_read',
    summary: 'Inspect a repository version',
    tags: ['Repositories: Container Versions'],
    href: 'container_container_repository_version_href',
    responses: { '200': 'RepositoryVersionResponse', '404': 'ErrorDetailResponse' },
  })
  async read(@Param('id') id: string, @Param('number') number: string): Promise<Record<string, unknown>> {
    if (!isUuid(id)) throw new NotFoundException();
    return versionJson(
      await this.queries.ask('content.version.get', { repositoryId: id, version: versionNumber(number) }),
    );
  }

  @Delete(':number')
  @HttpCode(202)
  @PulpOperation({
    operationId: 'repositories_container_container_versions_delete',
    summary: 'Delete a repository version',
    tags: ['Repositories: Container Versions'],
    href: 'container_container_repository_version_href',
    responses: {
      '202': 'AsyncOperationResponse',
      '404': 'ErrorDetailResponse',
      '409': 'ErrorDetailResponse',
    },
  })
  async delete(@Param('id') id: string, @Param('number') number: string): Promise<AsyncOperationResponse> {
    if (!isUuid(id)) throw new NotFoundException();
    const version = versionNumber(number);
    await this.queries.ask('content.version.get', { repositoryId: id, version });
    const payload: ContentTaskPayload<'content.version.delete'> = {
      operation: 'content.version.delete',
      request: { repositoryId: id, version },
    };
    return this.tasks.dispatch({
      name: 'pulpcore.app.tasks.repository.delete_version',
      worker: 'content',
      payload,
      exclusiveResources: [repositoryHref(id)],
    });
  }

  /**
   * What changed between `base_version` (default: the version before) and this one, per type, as content hrefs.
   * Pages through keys: `next` carries the cursor.
   */
  @Get(':number/diff')
  @PulpOperation({
    operationId: 'repositories_container_container_versions_diff',
    summary: 'What changed between two versions',
    tags: ['Repositories: Container Versions'],
    href: 'container_container_repository_version_href',
    query: [
      filterParameter('base_version', 'The version number to compare from; default the one before.', {
        type: 'integer',
      }),
      filterParameter('content_type', 'Only units of this type: blob, manifest or tag.'),
      filterParameter('after', 'Cursor from the previous page.'),
      filterParameter('limit', 'Units per page.', { type: 'integer' }),
    ],
    responses: {
      '200': 'RepositoryVersionDiffResponse',
      '400': 'ValidationErrorResponse',
      '404': 'ErrorDetailResponse',
    },
  })
  async diff(
    @Req() request: Request,
    @Param('id') id: string,
    @Param('number') number: string,
    @Query() query: Record<string, string>,
  ): Promise<Record<string, unknown>> {
    if (!isUuid(id)) throw new NotFoundException();
    const to = versionNumber(number);
    const from = query.base_version === undefined ? Math.max(0, to - 1) : Number(query.base_version);
    if (!Number.isInteger(from) || from < 0) {
      throw new FieldValidationException({ base_version: ['Enter a version number.'] });
    }
    const type = query.content_type as UnitType | undefined;
    if (type !== undefined && !UNIT_TYPES.includes(type)) {
      throw new FieldValidationException({ content_type: [`One of ${UNIT_TYPES.join(', ')}.`] });
    }
    const limit = Math.min(Number(query.limit) || 1000, MAX_KEYSET_PAGE_LIMIT);
    const page = await this.queries.ask('content.version.diff', {
      repositoryId: id,
      from,
      to,
      type,
      afterKey: query.after,
      limit,
    });
    const grouped = { added: {} as Record<string, string[]>, removed: {} as Record<string, string[]> };
    for (const entry of page.items) {
      const pulpType = PULP_CONTENT_TYPES[entry.key.slice(0, entry.key.indexOf(':')) as UnitType];
      (grouped[entry.change][pulpType] ??= []).push(unitHref(entry.key));
    }
    let next: string | null = null;
    if (page.nextAfterKey) {
      const url = new URL(request.originalUrl, `${request.protocol}://${request.get('host') ?? 'localhost'}`);
      url.searchParams.set('after', page.nextAfterKey);
      next = url.toString();
    }
    return {
      base_version: repositoryVersionHref(id, from),
      version: repositoryVersionHref(id, to),
      ...grouped,
      next,
    };
  }
}
