import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EventStore, WrongExpectedVersionError } from '@wharf/ports';
import { ValidationError } from '@wharf/contracts';
import { RepositoryDirectory } from './repository-directory.projection.js';

const NAME_STREAM_PREFIX = 'repositoryname-';

/**
 * Repository names are unique. The event log has no unique index across streams, so each name gets a tiny
 * stream of claims: whoever appends the next claim at the version they read owns the name, and a concurrent
 * claimant loses on the version check. A claim by a repository that has since been deleted or renamed no
 * longer counts, so names are reusable.
 */
@Injectable()
export class RepositoryNames {
  constructor(
    private readonly store: EventStore,
    private readonly directory: RepositoryDirectory,
  ) {}

  async claim(name: string, repositoryId: string): Promise<void> {
    const stream = NAME_STREAM_PREFIX + name;
    let version = 0;
    let holder: string | undefined;
    for await (const event of this.store.readStream(stream)) {
      version = event.position;
      holder = (event.data as { repositoryId: string }).repositoryId;
    }
    if (holder && holder !== repositoryId && this.directory.get(holder)?.name === name) {
      throw unique();
    }
    try {
      const { lastGlobalPosition } = await this.store.append(
        stream,
        [{ id: randomUUID(), type: 'RepositoryNameClaimed', data: { name, repositoryId } }],
        version,
      );
      await this.directory.caughtUp(lastGlobalPosition);
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) throw unique();
      throw error;
    }
  }
}

function unique(): ValidationError {
  return new ValidationError({ name: ['This field must be unique.'] });
}
