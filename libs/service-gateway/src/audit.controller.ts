import { Controller, Get, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { Queries } from '@wharf/runtime';
import { repositoryHref, type AuditRecord } from '@wharf/contracts';
import { API_ROOT, idFromHref, isUuid, REPOSITORIES_PATH } from './hrefs.js';
import { pageRequest, pulpList, type PulpList } from './pagination.js';
import { FieldValidationException } from './pulp-exception.filter.js';
import { PulpOperation } from './openapi/pulp-operation.decorator.js';
import { LIST_PARAMETERS, filterParameter } from './openapi/query-parameters.js';

function auditJson(record: AuditRecord): Record<string, unknown> {
  const repository = record.repository ?? null;
  return {
    event_id: record.eventId,
    event_type: record.type,
    stream: record.stream,
    occurred_at: record.occurredAt,
    recorded_at: record.recordedAt,
    actor: record.actor,
    // A Wharf repository as its href; a registry repository name (pulls, pushes) as the client named it.
    repository: repository && isUuid(repository) ? repositoryHref(repository) : repository,
    version: record.version ?? null,
    digest: record.digest ?? null,
    tag: record.tag ?? null,
    remote: record.remote ?? null,
    data: record.data,
  };
}

/** An ISO 8601 instant from a query parameter, normalized; 400 naming the parameter otherwise. */
function instant(query: Record<string, string>, field: string): string | undefined {
  const raw = query[field];
  if (raw === undefined || raw === '') return undefined;
  const time = /^\d{4}-\d{2}-\d{2}/.test(raw) ? Date.parse(raw) : NaN;
  if (Number.isNaN(time)) {
    throw new FieldValidationException({ [field]: ['Enter a valid date/time (ISO 8601).'] });
  }
  return new Date(time).toISOString();
}

/** A repository href or a registry repository name, as the records keep it. */
function repositoryFilter(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  return raw.startsWith(API_ROOT) ? (idFromHref(raw, REPOSITORIES_PATH) ?? raw) : raw;
}

/** Wharf's own `audit/` list: what the audit service durably recorded, who caused it, what it concerns. */
@Controller(`${API_ROOT.slice(1)}audit`)
export class AuditController {
  constructor(private readonly queries: Queries) {}

  @Get()
  @PulpOperation({
    operationId: 'audit_list',
    summary: 'List recorded events',
    tags: ['Audit'],
    query: [
      ...LIST_PARAMETERS,
      filterParameter('event_type', 'Only events of this type, e.g. RepositoryCreated.'),
      filterParameter('stream', 'Only events of this stream.'),
      filterParameter(
        'repository',
        'Only events about this repository: its href, or a registry repository name (pulls and pushes).',
      ),
      filterParameter('actor', 'Only events caused by this API user or registry client.'),
      filterParameter('after', 'Only events that occurred at or after this time (ISO 8601).', {
        type: 'string',
        format: 'date-time',
      }),
      filterParameter('before', 'Only events that occurred before this time (ISO 8601).', {
        type: 'string',
        format: 'date-time',
      }),
    ],
    responses: { '200': 'PaginatedAuditRecordResponseList', '400': 'ValidationErrorResponse' },
  })
  async list(@Req() request: Request, @Query() query: Record<string, string>): Promise<PulpList<unknown>> {
    const page = pageRequest(query);
    const after = instant(query, 'after');
    const before = instant(query, 'before');
    const repository = repositoryFilter(query.repository);
    const found = await this.queries.ask('audit.record.list', {
      ...(query.event_type ? { type: query.event_type } : {}),
      ...(query.stream ? { stream: query.stream } : {}),
      ...(query.actor ? { actor: query.actor } : {}),
      ...(repository ? { repository } : {}),
      ...(after ? { after } : {}),
      ...(before ? { before } : {}),
      ...page,
    });
    return pulpList(request, page, found.count, found.results.map(auditJson));
  }
}
