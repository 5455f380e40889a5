import { type DynamicModule, Module } from '@nestjs/common';
import { eventSourcedOwner, ownedContentIndex, sharedBlobStore, taskWorker } from '@wharf/runtime';
import { ContentWrites } from './content-writes.js';
import { ContentTasksHandler } from './content-tasks.handler.js';
import { ContentCatalogService } from './content-catalog.service.js';
import { ContentQueriesHandler } from './content-queries.handler.js';
import { ContentReader } from './content.reader.js';
import { ContentWriteGate } from './content-write.gate.js';
import { CopySources } from './copy-sources.js';
import { LatestChangeResolver } from './latest-change.resolver.js';
import { OrphanCleanupService } from './orphan-cleanup.service.js';
import { RecentlyRecordedUnits } from './recently-recorded.units.js';
import { RepositoriesService } from './repositories.service.js';
import { RepositoryDirectory } from './repository-directory.projection.js';
import { RepositoryNames } from './repository-names.js';
import { RepositoryWriteLocks } from './repository-write-locks.js';
import { RepositoryStreams } from './repository.streams.js';
import { VersionIndexProjection } from './version-index.projection.js';
import { PublishedVersionsProtection, VersionProtection } from './version-protection.js';
import { VersionViewLoader } from './version-view.loader.js';
import { VersionWriter } from './version.writer.js';
import { VersionsService } from './versions.service.js';

const OWNER = 'content';

/** The content service: sole writer of repository streams, owner of the content catalog. */
@Module({
  providers: [
    ...eventSourcedOwner(OWNER),
    ownedContentIndex(OWNER),
    sharedBlobStore(),
    RepositoryDirectory,
    RepositoryStreams,
    RepositoryNames,
    RepositoriesService,
    VersionIndexProjection,
    RepositoryWriteLocks,
    ContentWriteGate,
    RecentlyRecordedUnits,
    ContentCatalogService,
    VersionViewLoader,
    LatestChangeResolver,
    CopySources,
    ContentReader,
    VersionWriter,
    VersionsService,
    OrphanCleanupService,
    { provide: VersionProtection, useClass: PublishedVersionsProtection },
    ContentWrites,
    ContentQueriesHandler,
    ...taskWorker(OWNER),
    ContentTasksHandler,
  ],
})
export class ContentModule {
  /** The content service with the versions that publications and distributions serve kept from retention. */
  static withVersionProtection(protection: VersionProtection): DynamicModule {
    return { module: ContentModule, providers: [{ provide: VersionProtection, useValue: protection }] };
  }
}
