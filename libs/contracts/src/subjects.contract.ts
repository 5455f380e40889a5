import type { AuditRecord, ListAuditRecordsRequest } from './audit.contract.js';
import type { VersionQueryMap } from './versions.contract.js';
import type { TaskQueryMap } from './tasks.contract.js';
import type { PublicationQueryMap } from './publications.contract.js';
import type { DistributionQueryMap } from './distributions.contract.js';
import type { RemoteQueryMap } from './remotes.contract.js';
import type { UploadQueryMap } from './uploads.contract.js';
import type { ReplicationQueryMap } from './replication.contract.js';
import type {
  CreateRepositoryRequest,
  ListRepositoriesRequest,
  UpdateRepositoryRequest,
  Page,
  RepositoryView,
} from './repository.contract.js';

/**
 * Every request/reply query on the bus, with its request and response types. The compiler checks both sides
 * against this one map, so a renamed field breaks the build instead of a deployment.
 */
export interface QueryMap
  extends
    VersionQueryMap,
    TaskQueryMap,
    PublicationQueryMap,
    DistributionQueryMap,
    RemoteQueryMap,
    UploadQueryMap,
    ReplicationQueryMap {
  'content.repository.create': { request: CreateRepositoryRequest; response: RepositoryView };
  'content.repository.get': { request: { id: string }; response: RepositoryView };
  'content.repository.list': { request: ListRepositoriesRequest; response: Page<RepositoryView> };
  'content.repository.update': { request: UpdateRepositoryRequest; response: RepositoryView };
  'content.repository.delete': { request: { id: string }; response: { id: string } };
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

/** The writes that run as tasks on the content worker, by the bus query they share a handler with. */
export type ContentWriteOperation =
  | 'content.repository.update'
  | 'content.repository.delete'
  | 'content.version.modify'
  | 'content.version.add'
  | 'content.version.remove'
  | 'content.version.copy_tags'
  | 'content.version.copy_manifests'
  | 'content.version.tag'
  | 'content.version.untag'
  | 'content.version.rollback'
  | 'content.version.delete'
  | 'content.orphans.cleanup';

/** A content task's payload: which write, with the same request its query takes. */
export interface ContentTaskPayload<O extends ContentWriteOperation = ContentWriteOperation> {
  readonly operation: O;
  readonly request: QueryMap[O]['request'];
}
