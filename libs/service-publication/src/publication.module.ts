import { Module } from '@nestjs/common';
import { PUBLICATION_WORKER } from '@wharf/contracts';
import { eventSourcedOwner, taskWorker } from '@wharf/runtime';
import { AutomaticPublicationsFollower } from './automatic-publications.follower.js';
import { PublicationDirectory } from './publication-directory.projection.js';
import { PublicationQueriesHandler } from './publication-queries.handler.js';
import { PublicationStreams } from './publication.streams.js';
import { PublicationTasksHandler } from './publication-tasks.handler.js';
import { PublicationsService } from './publications.service.js';
import { RepositoryVersionsLookup } from './repository-versions.lookup.js';

/**
 * The publication service: owner of publications, immutable serving snapshots of repository versions. Its
 * writes run as tasks on the `publication` worker; its reads answer bus queries.
 */
@Module({
  providers: [
    ...eventSourcedOwner('publication'),
    ...taskWorker(PUBLICATION_WORKER),
    PublicationStreams,
    PublicationDirectory,
    RepositoryVersionsLookup,
    PublicationsService,
    PublicationTasksHandler,
    PublicationQueriesHandler,
    AutomaticPublicationsFollower,
  ],
})
export class PublicationModule {}
