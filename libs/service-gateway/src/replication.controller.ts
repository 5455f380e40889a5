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
  Query,
  Req,
} from '@nestjs/common';
import type { Request } from 'express';
import { Queries } from '@wharf/runtime';
import {
  DISTRIBUTION_WORKER,
  DISTRIBUTIONS_HREF_ROOT,
  REPLICATION_TARGET_PULP_FIELD_NAMES,
  REPLICATION_TARGETS_HREF_ROOT,
  REPLICATION_TASKS,
  distributionHref,
  replicationTargetHref,
  type ExportStorage,
  type OciLayoutFormat,
  type ReplicationTargetField,
  type ReplicationTargetInput,
  type ReplicationTargetView,
} from '@wharf/contracts';
import { API_ROOT, idFromHref, isUuid, repositoryHref, REPOSITORIES_PATH } from './hrefs.js';
import { pageRequest, pulpList, type PulpList } from './pagination.js';
import { FieldValidationException } from './pulp-exception.filter.js';
import { TaskDispatcher, type AsyncOperationResponse } from './task-dispatcher.js';
import { NO_URL_MATCH, repositoryIdField, versionField } from './publications.controller.js';
import { PulpOperation } from './openapi/pulp-operation.decorator.js';
import { LIST_PARAMETERS, filterParameter } from './openapi/query-parameters.js';

const TARGETS_PATH = REPLICATION_TARGETS_HREF_ROOT.slice(API_ROOT.length);
const DISTRIBUTIONS_PATH = DISTRIBUTIONS_HREF_ROOT.slice(API_ROOT.length);
const TAGS = ['Replication targets'];
const HREF = 'replication_target_href';
const READ_ONLY_FIELDS: ReadonlySet<string> = new Set([
  'pulp_href',
  'pulp_created',
  'pulp_last_updated',
  'hidden_fields',
]);
const FIELD_OF_NAME = new Map(
  Object.entries(REPLICATION_TARGET_PULP_FIELD_NAMES).map(([field, name]) => [
    name,
    field as ReplicationTargetField,
  ]),
);

/** The body in the distribution service's terms: REST names become the contract's, hrefs become ids. */
function targetInput(body: unknown): ReplicationTargetInput {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new FieldValidationException({
      non_field_errors: ['Invalid data. Expected an object of target fields.'],
    });
  }
  const input: Record<string, unknown> = {};
  const unexpected: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(body)) {
    if (READ_ONLY_FIELDS.has(name)) continue;
    const field = FIELD_OF_NAME.get(name);
    if (!field) unexpected[name] = ['Unexpected field.'];
    else if (field === 'repositoryId' && typeof value === 'string')
      input[field] = repositoryIdField(name, value);
    else if (field === 'distributionId' && typeof value === 'string') {
      const id = idFromHref(value, DISTRIBUTIONS_PATH);
      if (!id) throw new FieldValidationException({ distribution: [NO_URL_MATCH] });
      input[field] = id;
    } else input[field] = value;
  }
  if (Object.keys(unexpected).length > 0) throw new FieldValidationException(unexpected);
  return input as ReplicationTargetInput;
}

/** The target's JSON, field by field: credentials appear only as hidden_fields. */
function targetJson(target: ReplicationTargetView): Record<string, unknown> {
  return {
    pulp_href: replicationTargetHref(target.id),
    pulp_created: target.createdAt,
    pulp_last_updated: target.updatedAt,
    name: target.name,
    url: target.url,
    path: target.path,
    tls_validation: target.tlsValidation,
    ca_cert: target.caCert,
    mirror: target.mirror,
    auto: target.auto,
    repository: target.repositoryId ? repositoryHref(target.repositoryId) : null,
    distribution: target.distributionId ? distributionHref(target.distributionId) : null,
    hidden_fields: target.hiddenFields.map(({ field, isSet }) => ({ name: field, is_set: isSet })),
  };
}

function checkedId(id: string): string {
  if (!isUuid(id)) throw new NotFoundException();
  return id;
}

/**
 * Replication targets (Wharf's own resource: other registries a repository's versions are pushed to) and the
 * replicate action. Target writes are answered at once; pushes are tasks on the distribution worker, one at a
 * time per target.
 */
@Controller(`${API_ROOT.slice(1)}${TARGETS_PATH}`)
export class ReplicationTargetsController {
  constructor(
    private readonly queries: Queries,
    private readonly tasks: TaskDispatcher,
  ) {}

  @Post()
  @HttpCode(201)
  @PulpOperation({
    operationId: 'replication_targets_create',
    summary: 'Create a replication target',
    tags: TAGS,
    requestBody: 'ReplicationTarget',
    responses: { '201': 'ReplicationTargetResponse', '400': 'ValidationErrorResponse' },
  })
  async create(@Body() body: unknown): Promise<Record<string, unknown>> {
    return targetJson(await this.queries.ask('replication-target.create', targetInput(body)));
  }

  @Get()
  @PulpOperation({
    operationId: 'replication_targets_list',
    summary: 'List replication targets',
    tags: TAGS,
    query: [
      ...LIST_PARAMETERS,
      filterParameter('name', 'Only the target with this name.'),
      filterParameter('repository', 'Only targets following the repository with this href.'),
    ],
    responses: { '200': 'PaginatedReplicationTargetResponseList' },
  })
  async list(
    @Req() request: Request,
    @Query() query: Record<string, string>,
  ): Promise<PulpList<Record<string, unknown>>> {
    const page = pageRequest(query);
    const found = await this.queries.ask('replication-target.list', {
      name: query.name,
      repositoryId: query.repository ? repositoryIdField('repository', query.repository) : undefined,
      ...page,
    });
    return pulpList(request, page, found.count, found.results.map(targetJson));
  }

  @Get(':id')
  @PulpOperation({
    operationId: 'replication_targets_read',
    summary: 'Inspect a replication target',
    tags: TAGS,
    href: HREF,
    responses: { '200': 'ReplicationTargetResponse', '404': 'ErrorDetailResponse' },
  })
  async read(@Param('id') id: string): Promise<Record<string, unknown>> {
    return targetJson(await this.queries.ask('replication-target.get', { id: checkedId(id) }));
  }

  @Patch(':id')
  @PulpOperation({
    operationId: 'replication_targets_partial_update',
    summary: 'Change some fields of a replication target',
    tags: TAGS,
    href: HREF,
    requestBody: 'PatchedReplicationTarget',
    responses: {
      '200': 'ReplicationTargetResponse',
      '400': 'ValidationErrorResponse',
      '404': 'ErrorDetailResponse',
    },
  })
  async update(@Param('id') id: string, @Body() body: unknown): Promise<Record<string, unknown>> {
    const target = await this.queries.ask('replication-target.update', {
      id: checkedId(id),
      input: targetInput(body),
    });
    return targetJson(target);
  }

  @Delete(':id')
  @HttpCode(204)
  @PulpOperation({
    operationId: 'replication_targets_delete',
    summary: 'Delete a replication target',
    tags: TAGS,
    href: HREF,
    responses: { '204': null, '404': 'ErrorDetailResponse' },
  })
  async delete(@Param('id') id: string): Promise<void> {
    await this.queries.ask('replication-target.delete', { id: checkedId(id) });
  }

  @Post(':id/replicate')
  @HttpCode(202)
  @PulpOperation({
    operationId: 'replication_targets_replicate',
    summary: 'Push a repository version to the target',
    description:
      'Pushes every tag, manifest and blob of the version the target follows (or the one given), skipping ' +
      'what the destination has; in mirror mode removes destination tags the version lacks.',
    tags: TAGS,
    href: HREF,
    requestBody: 'Replicate',
    responses: {
      '202': 'AsyncOperationResponse',
      '400': 'ValidationErrorResponse',
      '404': 'ErrorDetailResponse',
    },
  })
  async replicate(
    @Param('id') id: string,
    @Body() body: { repository_version?: unknown } | undefined,
  ): Promise<AsyncOperationResponse> {
    const target = await this.queries.ask('replication-target.get', { id: checkedId(id) });
    let version: number | undefined;
    if (body?.repository_version !== undefined) {
      if (typeof body.repository_version !== 'string') {
        throw new FieldValidationException({ repository_version: [NO_URL_MATCH] });
      }
      const ref = versionField('repository_version', body.repository_version);
      if (target.repositoryId !== null && ref.repositoryId !== target.repositoryId) {
        throw new FieldValidationException({
          repository_version: ['The version must belong to the repository the target follows.'],
        });
      }
      version = ref.version;
    }
    return this.tasks.dispatch({
      name: REPLICATION_TASKS.replicate,
      worker: DISTRIBUTION_WORKER,
      payload: { targetId: target.id, ...(version !== undefined && { version }) },
      exclusiveResources: [replicationTargetHref(target.id)],
    });
  }
}

function format(value: unknown): OciLayoutFormat {
  if (value === undefined) return 'oci-archive';
  if (value === 'directory' || value === 'oci-archive') return value;
  throw new FieldValidationException({ format: ['Expected one of directory, oci-archive.'] });
}

function storage(value: unknown): ExportStorage {
  if (value === undefined) return 'filesystem';
  if (value === 'filesystem' || value === 's3') return value;
  throw new FieldValidationException({ storage: ['Expected one of filesystem, s3.'] });
}

function exportPath(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new FieldValidationException({ path: ['This field is required.'] });
  }
  return value;
}

/**
 * OCI image layout export and import of a repository's versions, to and from WHARF_EXPORT_ROOT or
 * WHARF_EXPORT_BUCKET (`"storage": "s3"`; the bucket's credentials stay in the settings): for carrying
 * content into networks with no connection. Both are tasks on the distribution worker.
 */
@Controller(`${API_ROOT.slice(1)}${REPOSITORIES_PATH}`)
export class OciLayoutController {
  constructor(
    private readonly queries: Queries,
    private readonly tasks: TaskDispatcher,
  ) {}

  @Post(':id/oci_export')
  @HttpCode(202)
  @PulpOperation({
    operationId: 'repositories_container_container_oci_export',
    summary: 'Export a repository version as an OCI image layout',
    tags: ['Repositories: Container'],
    href: 'container_container_repository_href',
    requestBody: 'OciExport',
    responses: {
      '202': 'AsyncOperationResponse',
      '400': 'ValidationErrorResponse',
      '404': 'ErrorDetailResponse',
    },
  })
  async export(
    @Param('id') id: string,
    @Body() body: Record<string, unknown> | undefined,
  ): Promise<AsyncOperationResponse> {
    const repository = await this.queries.ask('content.repository.get', { id: checkedId(id) });
    let version = repository.latestVersion;
    if (body?.repository_version !== undefined) {
      const ref = versionField('repository_version', String(body.repository_version));
      if (ref.repositoryId !== repository.id) {
        throw new FieldValidationException({
          repository_version: ['The version must belong to this repository.'],
        });
      }
      version = ref.version;
    }
    const chunkSize = body?.chunk_size;
    if (chunkSize !== undefined && (!Number.isSafeInteger(chunkSize) || (chunkSize as number) < 1_048_576)) {
      throw new FieldValidationException({
        chunk_size: ['Ensure this value is an integer of at least 1048576.'],
      });
    }
    const payload = await this.queries.ask('replication.validate-export', {
      repositoryId: repository.id,
      version,
      format: format(body?.format),
      path: exportPath(body?.path),
      storage: storage(body?.storage),
      ...(chunkSize !== undefined && { chunkSize: chunkSize as number }),
    });
    return this.tasks.dispatch({
      name: REPLICATION_TASKS.export,
      worker: DISTRIBUTION_WORKER,
      payload,
      exclusiveResources: [],
      sharedResources: [repositoryHref(repository.id)],
    });
  }

  @Post(':id/oci_import')
  @HttpCode(202)
  @PulpOperation({
    operationId: 'repositories_container_container_oci_import',
    summary: 'Import an OCI image layout export as a new repository version',
    tags: ['Repositories: Container'],
    href: 'container_container_repository_href',
    requestBody: 'OciImport',
    responses: {
      '202': 'AsyncOperationResponse',
      '400': 'ValidationErrorResponse',
      '404': 'ErrorDetailResponse',
    },
  })
  async import(
    @Param('id') id: string,
    @Body() body: Record<string, unknown> | undefined,
  ): Promise<AsyncOperationResponse> {
    const repository = await this.queries.ask('content.repository.get', { id: checkedId(id) });
    const payload = await this.queries.ask('replication.validate-import', {
      repositoryId: repository.id,
      format: format(body?.format),
      path: exportPath(body?.path),
      storage: storage(body?.storage),
    });
    return this.tasks.dispatch({
      name: REPLICATION_TASKS.import,
      worker: DISTRIBUTION_WORKER,
      payload,
      exclusiveResources: [repositoryHref(repository.id)],
    });
  }
}
