import { Module } from '@nestjs/common';
import { eventSourcedOwner, taskWorker } from '@wharf/runtime';
import { SYNC_WORKER } from '@wharf/contracts';
import { RemoteDirectory } from './remote-directory.projection.js';
import { RemoteStreams } from './remote.streams.js';
import { RemoteNames } from './remote-names.js';
import { RemoteCredentialSealer } from './remote-credentials.sealer.js';
import { RemotesService } from './remotes.service.js';
import { RemoteQueriesHandler } from './remote-queries.handler.js';
import { RemoteTasksHandler } from './remote-tasks.handler.js';

/**
 * The sync service: owner of remotes (where content is synced from), with their credentials sealed at rest.
 * Syncing itself arrives with later issues.
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
  ],
})
export class SyncModule {}
