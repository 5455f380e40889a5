import { EventStore, WrongExpectedVersionError } from '@wharf/ports';
import type { AuditRecord, ListAuditRecordsRequest, Page } from '@wharf/contracts';
import type { EventEnvelope } from '@wharf/outbox';

const RECORD_STREAM_PREFIX = 'audit-';

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
      data: event.data,
    };
    try {
      await this.store.append(
        `${RECORD_STREAM_PREFIX}${event.id}`,
        [{ id: event.id, type: 'EventAudited', data: record }],
        0,
      );
      return true;
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) return false;
      throw error;
    }
  }

  /** Records in the order they were recorded, filtered. Scans the log; an indexed read model comes with audit filters. */
  async list(request: ListAuditRecordsRequest): Promise<Page<AuditRecord>> {
    const matches: AuditRecord[] = [];
    let count = 0;
    for (let after = 0; ;) {
      const batch = await this.store.readAll({ after, limit: 1000 });
      if (batch.length === 0) break;
      after = batch[batch.length - 1]!.globalPosition;
      for (const event of batch) {
        if (!event.stream.startsWith(RECORD_STREAM_PREFIX)) continue;
        const record = event.data as AuditRecord;
        if (request.type && record.type !== request.type) continue;
        if (request.stream && record.stream !== request.stream) continue;
        if (count >= request.offset && matches.length < request.limit) matches.push(record);
        count++;
      }
    }
    return { count, results: matches };
  }
}
