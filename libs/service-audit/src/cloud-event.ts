import type { AuditRecord } from '@wharf/contracts';

/** A recorded event as external subscribers get it: a CloudEvents 1.0 event in structured JSON mode. */
export interface WharfCloudEvent {
  readonly specversion: '1.0';
  /** The Wharf event id: subscribers recognise a second delivery by it. */
  readonly id: string;
  /** `/wharf/<stream category>`, e.g. `/wharf/repository`. */
  readonly source: string;
  /** `io.wharf.<EventType>`, e.g. `io.wharf.RepositoryCreated`. */
  readonly type: string;
  /** The event's stream, e.g. `repository-<id>`. */
  readonly subject: string;
  readonly time: string;
  readonly datacontenttype: 'application/json';
  readonly data: unknown;
  /** Extension attributes (CloudEvents names: lowercase letters and digits), present when known. */
  readonly actor?: string;
  readonly repository?: string;
  readonly version?: number;
  readonly digest?: string;
  readonly tag?: string;
  readonly remote?: string;
}

export const CLOUD_EVENT_CONTENT_TYPE = 'application/cloudevents+json';

/** The port subject a recorded event of `type` is published on (NATS: `<prefix>.evt.cloudevents.<type>`). */
export function cloudEventSubject(type: string): string {
  return `cloudevents.${type}`;
}

export function toCloudEvent(record: AuditRecord): WharfCloudEvent {
  const category = record.stream.split('-', 1)[0] || 'misc';
  const extensions = {
    actor: record.actor,
    repository: record.repository,
    version: record.version,
    digest: record.digest,
    tag: record.tag,
    remote: record.remote,
  };
  return {
    specversion: '1.0',
    id: record.eventId,
    source: `/wharf/${category}`,
    type: `io.wharf.${record.type}`,
    subject: record.stream,
    time: record.occurredAt,
    datacontenttype: 'application/json',
    data: record.data,
    ...Object.fromEntries(
      Object.entries(extensions).filter(([, value]) => value !== null && value !== undefined),
    ),
  };
}
