import { Injectable } from '@nestjs/common';
import type { ContentWriteOperation, QueryMap } from '@wharf/contracts';
import { OrphanCleanupService } from './orphan-cleanup.service.js';
import { RepositoriesService } from './repositories.service.js';
import { VersionsService } from './versions.service.js';

type WriteHandlers = {
  readonly [O in ContentWriteOperation]: (
    request: QueryMap[O]['request'],
    at: Date,
  ) => Promise<QueryMap[O]['response']>;
};

/**
 * Every write of the content service, in one table: the bus queries and the task worker both dispatch
 * through it, so an operation behaves the same whichever way it arrives.
 */
@Injectable()
export class ContentWrites {
  readonly handlers: WriteHandlers;

  constructor(repositories: RepositoriesService, versions: VersionsService, orphans: OrphanCleanupService) {
    this.handlers = {
      'content.repository.update': (request, at) => repositories.update(request, at),
      'content.repository.delete': ({ id }, at) => repositories.delete(id, at),
      'content.version.modify': (request, at) => versions.modify(request, at),
      'content.version.add': (request, at) => versions.add(request, at),
      'content.version.remove': (request, at) => versions.remove(request, at),
      'content.version.copy_tags': (request, at) => versions.copyTags(request, at),
      'content.version.copy_manifests': (request, at) => versions.copyManifests(request, at),
      'content.version.tag': (request, at) => versions.tag(request, at),
      'content.version.untag': (request, at) => versions.untag(request, at),
      'content.version.rollback': (request, at) => versions.rollback(request, at),
      'content.version.delete': (request, at) => versions.deleteVersion(request, at),
      'content.orphans.cleanup': ({ protectionTimeMs }, at) => orphans.cleanup(protectionTimeMs, at),
    };
  }

  run<O extends ContentWriteOperation>(
    operation: O,
    request: QueryMap[O]['request'],
    at: Date,
  ): Promise<QueryMap[O]['response']> {
    const handler = this.handlers[operation] as (
      r: QueryMap[O]['request'],
      at: Date,
    ) => Promise<QueryMap[O]['response']>;
    if (!handler) throw new Error(`the content service has no write named ${String(operation)}`);
    return handler(request, at);
  }
}
