/** One line of the audit log: an event some service recorded, as the audit service keeps it. */
export interface AuditRecord {
  readonly eventId: string;
  readonly type: string;
  readonly stream: string;
  readonly occurredAt: string;
  readonly recordedAt: string;
  readonly actor: string | null;
  readonly data: unknown;
}

export interface ListAuditRecordsRequest {
  readonly type?: string;
  readonly stream?: string;
  readonly offset: number;
  readonly limit: number;
}
