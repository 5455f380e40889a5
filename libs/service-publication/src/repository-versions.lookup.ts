import { Injectable } from '@nestjs/common';
import { RemoteError } from '@wharf/ports';
import { Queries } from '@wharf/runtime';
import { ValidationError, type VersionRef } from '@wharf/contracts';

/** Pulp's words for a reference to something that is not there. */
export const OBJECT_DOES_NOT_EXIST = 'Invalid hyperlink - Object does not exist.';

/**
 * What the content service says about the repositories and versions publications are made from. A
 * repository or version it does not know is the request's fault, reported under the field that named it.
 */
@Injectable()
export class RepositoryVersionsLookup {
  constructor(private readonly queries: Queries) {}

  /** The repository's latest version now; the field is `repository`. */
  async latestVersion(repositoryId: string): Promise<number> {
    try {
      return (await this.queries.ask('content.repository.get', { id: repositoryId })).latestVersion;
    } catch (error) {
      throw asMissingReference(error, 'repository');
    }
  }

  /** Throws unless the version exists (not deleted by retention); the field is `repository_version`. */
  async assertExists(version: VersionRef): Promise<void> {
    try {
      await this.queries.ask('content.version.get', version);
    } catch (error) {
      throw asMissingReference(error, 'repository_version');
    }
  }
}

function asMissingReference(error: unknown, field: string): unknown {
  const notFound = error instanceof RemoteError && error.remoteName === 'NotFoundError';
  return notFound ? new ValidationError({ [field]: [OBJECT_DOES_NOT_EXIST] }) : error;
}
