import { Module } from '@nestjs/common';
import { eventSourcedOwner, sharedBlobStore, taskWorker } from '@wharf/runtime';
import { SYNC_WORKER } from '@wharf/contracts';
import { RemoteDirectory } from './remote-directory.projection.js';
import { RemoteStreams } from './remote.streams.js';
import { RemoteNames } from './remote-names.js';
import { RemoteCredentialSealer } from './remote-credentials.sealer.js';
import { RemotesService } from './remotes.service.js';
import { RemoteQueriesHandler } from './remote-queries.handler.js';
import { RemoteTasksHandler } from './remote-tasks.handler.js';
import { SyncService } from './sync.service.js';
import { SyncTasksHandler } from './sync-tasks.handler.js';

/**
 * The sync service: owner of remotes (where content is synced from), with their credentials sealed at rest,
 * and the sync task that mirrors a remote's upstream repository into a repository version.
 */
@Module({
  providers: [
    ...eventSourcedOwner('sync'),
    ...taskWorker(SYNC_WORKER),
    RemoteDirectory,
    RemoteStreams,
    RemoteNames,
    RemoteCredentialSealer,
    RemotesService,
    RemoteQueriesHandler,
    RemoteTasksHandler,
    sharedBlobStore(),
    SyncService,
    SyncTasksHandler,
  ],
})
export class SyncModule {}
