import type { AuditRecord, ListAuditRecordsRequest } from './audit.contract.js';
import type { VersionQueryMap } from './versions.contract.js';
import type { TaskQueryMap } from './tasks.contract.js';
import type {
  CreateRepositoryRequest,
  ListRepositoriesRequest,
  Page,
  RepositoryView,
} from './repository.contract.js';

/**
 * Every request/reply query on the bus, with its request and response types. The compiler checks both sides
 * against this one map, so a renamed field breaks the build instead of a deployment.
 */
export interface QueryMap extends VersionQueryMap, TaskQueryMap {
  'content.repository.create': { request: CreateRepositoryRequest; response: RepositoryView };
  'content.repository.get': { request: { id: string }; response: RepositoryView };
  'content.repository.list': { request: ListRepositoriesRequest; response: Page<RepositoryView> };
  'audit.record.list': { request: ListAuditRecordsRequest; response: Page<AuditRecord> };
}

export type QuerySubject = keyof QueryMap;

/**
 * Domain events leave the event store through the outbox onto `events.<stream category>.<EventType>`, e.g.
 * `events.repository.RepositoryCreated`, so a subscriber can take one category (`events.repository.>`) or all
 * (`events.>`).
 */
export const EVENTS_ALL = 'events.>';

export function eventSubject(stream: string, type: string): string {
  const category = stream.split('-')[0] || 'misc';
  return `events.${category}.${type}`;
}
