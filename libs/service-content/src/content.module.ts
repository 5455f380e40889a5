import { Module } from '@nestjs/common';
import { eventSourcedOwner } from '@wharf/runtime';
import { RepositoryDirectory } from './repository-directory.projection.js';
import { RepositoryStreams } from './repository.streams.js';
import { RepositoryNames } from './repository-names.js';
import { RepositoriesService } from './repositories.service.js';
import { ContentQueriesHandler } from './content-queries.handler.js';

/** The content service: sole writer of repository streams, owner of the content catalog. */
@Module({
  providers: [
    ...eventSourcedOwner('content'),
    RepositoryDirectory,
    RepositoryStreams,
    RepositoryNames,
    RepositoriesService,
    ContentQueriesHandler,
  ],
})
export class ContentModule {}
