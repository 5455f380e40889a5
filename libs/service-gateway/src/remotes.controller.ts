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
import { Queries } from '@wharf/runtime';
import {
  REMOTE_DELETE_TASK,
  REMOTE_PULP_FIELD_NAMES,
  REMOTE_UPDATE_TASK,
  SYNC_WORKER,
  type RemoteFields,
  type RemoteInput,
  type RemoteView,
} from '@wharf/contracts';
import { API_ROOT, isUuid } from './hrefs.js';
import { pageRequest, pulpList, type PulpList } from './pagination.js';
import { FieldValidationException } from './pulp-exception.filter.js';
import { TaskDispatcher, type AsyncOperationResponse } from './task-dispatcher.js';
import { PulpOperation } from './openapi/pulp-operation.decorator.js';
import { LIST_PARAMETERS, filterParameter } from './openapi/query-parameters.js';

export const REMOTES_PATH = 'remotes/container/container/';

export function remoteHref(id: string): string {
  return `${API_ROOT}${REMOTES_PATH}${id}/`;
}

const TAGS = ['Remotes: Container'];
const HREF = 'container_container_remote_href';

const FIELD_OF_PULP_NAME = new Map(
  Object.entries(REMOTE_PULP_FIELD_NAMES).map(([field, pulpName]) => [pulpName, field as keyof RemoteFields]),
);

/** What a response shows and a client may send back in a PUT of what it read; ignored, as Pulp ignores it. */
const READ_ONLY_FIELDS: ReadonlySet<string> = new Set([
  'pulp_href',
  'prn',
  'pulp_created',
  'pulp_last_updated',
  'hidden_fields',
]);

/**
 * The request body as the sync service's input: Pulp's field names become the contract's, values pass
 * unchecked (the sync service validates each and answers in Pulp's words), fields a remote does not have
 * are refused here.
 */
function remoteInput(body: unknown): RemoteInput {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new FieldValidationException({
      non_field_errors: ['Invalid data. Expected an object of remote fields.'],
    });
  }
  const input: Record<string, unknown> = {};
  const unexpected: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(body)) {
    if (READ_ONLY_FIELDS.has(name)) continue;
    const field = FIELD_OF_PULP_NAME.get(name);
    if (field) input[field] = value;
    else unexpected[name] = ['Unexpected field.'];
  }
  if (Object.keys(unexpected).length > 0) throw new FieldValidationException(unexpected);
  return input as RemoteInput;
}

/**
 * Pulp's `container.ContainerRemoteResponse` (plus Wharf's `platforms`). Written field by field, never by
 * copying the view, so that nothing but these fields can ever reach a client; credentials appear only as
 * `hidden_fields`.
 */
export function remoteJson(remote: RemoteView): Record<string, unknown> {
  return {
    pulp_href: remoteHref(remote.id),
    prn: `prn:container.containerremote:${remote.id}`,
    pulp_created: remote.createdAt,
    pulp_last_updated: remote.updatedAt,
    name: remote.name,
    url: remote.url,
    ca_cert: remote.caCert,
    client_cert: remote.clientCert,
    tls_validation: remote.tlsValidation,
    proxy_url: remote.proxyUrl,
    pulp_labels: remote.pulpLabels,
    download_concurrency: remote.downloadConcurrency,
    max_retries: remote.maxRetries,
    policy: remote.policy,
    total_timeout: remote.totalTimeout,
    connect_timeout: remote.connectTimeout,
    sock_connect_timeout: remote.sockConnectTimeout,
    sock_read_timeout: remote.sockReadTimeout,
    headers: remote.headers,
    rate_limit: remote.rateLimit,
    hidden_fields: remote.hiddenFields.map(({ field, isSet }) => ({
      name: REMOTE_PULP_FIELD_NAMES[field],
      is_set: isSet,
    })),
    upstream_name: remote.upstreamName,
    include_tags: remote.includeTags,
    exclude_tags: remote.excludeTags,
    platforms: remote.platforms,
    // Remotes created before the field existed hold none: they skip foreign layers, the default.
    include_foreign_layers: remote.includeForeignLayers ?? false,
  };
}

/**
 * Container remotes. Thin: decode, ask the sync service, shape the answer. Updates and deletions run as
 * tasks (202), as in Pulp; an update is validated and its credentials sealed by the sync service first, so
 * a bad one is answered 400 at once and no task ever carries a credential in clear.
 */
@Controller(`${API_ROOT.slice(1)}${REMOTES_PATH}`)
export class RemotesController {
  constructor(
    private readonly queries: Queries,
    private readonly tasks: TaskDispatcher,
  ) {}

  @Post()
  @HttpCode(201)
  @PulpOperation({
    operationId: 'remotes_container_container_create',
    summary: 'Create a container remote',
    tags: TAGS,
    requestBody: 'container.ContainerRemote',
    responses: { '201': 'container.ContainerRemoteResponse', '400': 'ValidationErrorResponse' },
  })
  async create(@Body() body: unknown): Promise<Record<string, unknown>> {
    return remoteJson(await this.queries.ask('remote.create', remoteInput(body)));
  }

  @Get()
  @PulpOperation({
    operationId: 'remotes_container_container_list',
    summary: 'List container remotes',
    tags: TAGS,
    query: [
      ...LIST_PARAMETERS,
      filterParameter('name', 'Only the remote with this name.'),
      filterParameter('name__contains', 'Only remotes whose name contains this text.'),
      filterParameter('name__startswith', 'Only remotes whose name starts with this text.'),
    ],
    responses: { '200': 'Paginatedcontainer.ContainerRemoteResponseList' },
  })
  async list(
    @Req() request: Request,
    @Query() query: Record<string, string>,
  ): Promise<PulpList<Record<string, unknown>>> {
    const page = pageRequest(query);
    const found = await this.queries.ask('remote.list', {
      name: query.name,
      nameContains: query.name__contains,
      nameStartsWith: query.name__startswith,
      ...page,
    });
    return pulpList(request, page, found.count, found.results.map(remoteJson));
  }

  @Get(':id')
  @PulpOperation({
    operationId: 'remotes_container_container_read',
    summary: 'Inspect a container remote',
    tags: TAGS,
    href: HREF,
    responses: { '200': 'container.ContainerRemoteResponse', '404': 'ErrorDetailResponse' },
  })
  async read(@Param('id') id: string): Promise<Record<string, unknown>> {
    return remoteJson(await this.queries.ask('remote.get', { id: checkedId(id) }));
  }

  @Patch(':id')
  @HttpCode(202)
  @PulpOperation({
    operationId: 'remotes_container_container_partial_update',
    summary: 'Change some fields of a container remote',
    tags: TAGS,
    href: HREF,
    requestBody: 'Patchedcontainer.ContainerRemote',
    responses: {
      '202': 'AsyncOperationResponse',
      '400': 'ValidationErrorResponse',
      '404': 'ErrorDetailResponse',
    },
  })
  partialUpdate(@Param('id') id: string, @Body() body: unknown): Promise<AsyncOperationResponse> {
    return this.update(checkedId(id), remoteInput(body), true);
  }

  @Put(':id')
  @HttpCode(202)
  @PulpOperation({
    operationId: 'remotes_container_container_update',
    summary: 'Replace the fields of a container remote',
    tags: TAGS,
    href: HREF,
    requestBody: 'container.ContainerRemote',
    responses: {
      '202': 'AsyncOperationResponse',
      '400': 'ValidationErrorResponse',
      '404': 'ErrorDetailResponse',
    },
  })
  fullUpdate(@Param('id') id: string, @Body() body: unknown): Promise<AsyncOperationResponse> {
    return this.update(checkedId(id), remoteInput(body), false);
  }

  @Delete(':id')
  @HttpCode(202)
  @PulpOperation({
    operationId: 'remotes_container_container_delete',
    summary: 'Delete a container remote',
    tags: TAGS,
    href: HREF,
    responses: { '202': 'AsyncOperationResponse', '404': 'ErrorDetailResponse' },
  })
  async delete(@Param('id') id: string): Promise<AsyncOperationResponse> {
    const remote = await this.queries.ask('remote.get', { id: checkedId(id) });
    return this.tasks.dispatch({
      name: REMOTE_DELETE_TASK,
      worker: SYNC_WORKER,
      payload: { remoteId: remote.id },
      exclusiveResources: [remoteHref(remote.id)],
    });
  }

  private async update(id: string, input: RemoteInput, partial: boolean): Promise<AsyncOperationResponse> {
    const payload = await this.queries.ask('remote.update.prepare', { id, input, partial });
    return this.tasks.dispatch({
      name: REMOTE_UPDATE_TASK,
      worker: SYNC_WORKER,
      payload,
      exclusiveResources: [remoteHref(id)],
    });
  }
}

function checkedId(id: string): string {
  if (!isUuid(id)) throw new NotFoundException();
  return id;
}
