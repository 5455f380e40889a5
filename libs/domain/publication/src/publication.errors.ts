import { ConflictError, NotFoundError, ValidationError } from '@wharf/contracts';

/*
 * Errors extend the shared contract errors, whose name travels over the bus and decides the HTTP status;
 * validation details are keyed by the field names of Pulp's API.
 */

export class PublicationNotFoundError extends NotFoundError {
  constructor(readonly publicationId: string) {
    super(`publication ${publicationId}`);
  }
}

/** A create under an id already taken by another publication (ids are fresh per request, so a bug). */
export class PublicationAlreadyExistsError extends ConflictError {
  constructor(readonly publicationId: string) {
    super(`publication ${publicationId} already exists with other content`);
  }
}

export class InvalidRepositoryVersionError extends ValidationError {
  constructor(readonly repositoryVersion: number) {
    super({ repository_version: [`${repositoryVersion} is not a version number.`] });
  }
}
