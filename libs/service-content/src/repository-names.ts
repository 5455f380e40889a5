import { Injectable } from '@nestjs/common';
import { EventStore } from '@wharf/ports';
import { UniqueNames } from '@wharf/runtime';
import { RepositoryDirectory } from './repository-directory.projection.js';

/**
 * Repository names are unique: claims in `repositoryname-<name>` streams (see UniqueNames). A claim counts
 * while its repository is live and still has that name.
 */
@Injectable()
export class RepositoryNames extends UniqueNames {
  constructor(store: EventStore, directory: RepositoryDirectory) {
    super(store, {
      claimStreamPrefix: 'repositoryname-',
      claimEventType: 'RepositoryNameClaimed',
      holderField: 'repositoryId',
      isHeldBy: (repositoryId, name) => directory.get(repositoryId)?.name === name,
    });
  }
}
