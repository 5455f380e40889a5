import { Controller, Get, Query, Req } from '@nestjs/common';
import type { Request } from 'express';
import { Queries } from '@wharf/runtime';
import type { AuditRecord } from '@wharf/contracts';
import { API_ROOT } from './hrefs.js';
import { pageRequest, pulpList, type PulpList } from './pagination.js';
import { PulpOperation } from './openapi/pulp-operation.decorator.js';
import { LIST_PARAMETERS, filterParameter } from './openapi/query-parameters.js';

function auditJson(record: AuditRecord): Record<string, unknown> {
  return {
    event_id: record.eventId,
    event_type: record.type,
    stream: record.stream,
    occurred_at: record.occurredAt,
    recorded_at: record.recordedAt,
    actor: record.actor,
    data: record.data,
  };
}

/** Wharf's own `audit/` list: what the audit service durably recorded. */
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
    ],
    responses: { '200': 'PaginatedAuditRecordResponseList' },
  })
  async list(@Req() request: Request, @Query() query: Record<string, string>): Promise<PulpList<unknown>> {
    const page = pageRequest(query);
    const found = await this.queries.ask('audit.record.list', {
      type: query.event_type,
      stream: query.stream,
      ...page,
    });
    return pulpList(request, page, found.count, found.results.map(auditJson));
  }
}
