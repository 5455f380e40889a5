import type { AuditRecord } from '@wharf/contracts';
import type { EventEnvelope } from '@wharf/outbox';

/** The parts of a record that filters and subscribers look for, besides who, what and when. */
export type AuditFacets = Pick<AuditRecord, 'repository' | 'version' | 'digest' | 'tag' | 'remote'>;

/**
 * Reads what an event is about from its stream and payload. Events do not share one schema, so this looks
 * for the names they use: a repository's or remote's stream id, `version`, `digest`, `tag`, `remote`, and
 * `repository` on registry events. Unknown events keep null facets and are still recorded whole.
 */
export function auditFacetsOf(event: Pick<EventEnvelope, 'stream' | 'data'>): AuditFacets {
  const data = (typeof event.data === 'object' && event.data !== null ? event.data : {}) as Record<
    string,
    unknown
  >;
  const [category] = event.stream.split('-', 1);
  const streamId = event.stream.slice((category?.length ?? 0) + 1) || null;
  return {
    repository: category === 'repository' ? streamId : text(data.repository),
    version: typeof data.version === 'number' ? data.version : null,
    digest: text(data.digest),
    tag: text(data.tag),
    remote: category === 'remote' ? streamId : text(data.remote),
  };
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}
