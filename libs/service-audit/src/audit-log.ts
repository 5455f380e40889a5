import { EventStore, WrongExpectedVersionError, type StoredEvent } from '@wharf/ports';
import type { AuditRecord, ListAuditRecordsRequest, Page } from '@wharf/contracts';
import type { EventEnvelope } from '@wharf/outbox';
import { auditFacetsOf } from './audit-facets.js';

export const RECORD_STREAM_PREFIX = 'audit-';
export const RECORD_EVENT_TYPE = 'EventAudited';

/**
 * The audit log, kept in the audit service's own event store: one stream per recorded event, named by that
 * event's id. Appending with expected version 0 makes recording idempotent — a redelivered event finds its
 * stream already written and is recognised as a duplicate, so each event is recorded exactly once.
 */
export class AuditLog {
  constructor(private readonly store: EventStore) {}

  /** Records the event; false when it was already recorded. */
  async record(event: EventEnvelope, recordedAt: Date): Promise<boolean> {
    const record: AuditRecord = {
      eventId: event.id,
      type: event.type,
      stream: event.stream,
      occurredAt: event.recordedAt,
      recordedAt: recordedAt.toISOString(),
      actor: event.metadata?.actor ?? null,
      ...auditFacetsOf(event),
      data: event.data,
    };
    try {
      await this.store.append(
        `${RECORD_STREAM_PREFIX}${event.id}`,
        [{ id: event.id, type: RECORD_EVENT_TYPE, data: record }],
        0,
      );
      return true;
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) return false;
      throw error;
    }
  }

  /**
   * Records in the order they were recorded, filtered. Scans the log: cheap while audit logs are modest, and
   * the price of keeping records in the event store every adapter already provides (see ADR 15).
   */
  async list(request: ListAuditRecordsRequest): Promise<Page<AuditRecord>> {
    const matches: AuditRecord[] = [];
    let count = 0;
    for (let after = 0; ;) {
      const batch = await this.store.readAll({ after, limit: 1000 });
      if (batch.length === 0) break;
      after = batch[batch.length - 1]!.globalPosition;
      for (const event of batch) {
        const record = auditRecordOf(event);
        if (!record || !isWanted(record, request)) continue;
        if (count >= request.offset && matches.length < request.limit) matches.push(record);
        count++;
      }
    }
    return { count, results: matches };
  }
}

/** The record a stored event of the audit store holds; undefined for anything else kept there. */
export function auditRecordOf(event: StoredEvent): AuditRecord | undefined {
  if (!event.stream.startsWith(RECORD_STREAM_PREFIX) || event.type !== RECORD_EVENT_TYPE) return undefined;
  return event.data as AuditRecord;
}

function isWanted(record: AuditRecord, request: ListAuditRecordsRequest): boolean {
  // Records written before facets existed have none; they are read from the event as it was stored.
  const facets = record.repository === undefined ? auditFacetsOf(record) : record;
  return (
    (request.type === undefined || record.type === request.type) &&
    (request.stream === undefined || record.stream === request.stream) &&
    (request.actor === undefined || record.actor === request.actor) &&
    (request.repository === undefined || facets.repository === request.repository) &&
    (request.after === undefined || Date.parse(record.occurredAt) >= Date.parse(request.after)) &&
    (request.before === undefined || Date.parse(record.occurredAt) < Date.parse(request.before))
  );
}
