import { ConflictError, NotFoundError, ValidationError, type FieldErrors } from '@wharf/contracts';

/*
 * Errors extend the shared contract errors, whose name travels over the bus and decides the HTTP status;
 * validation details are keyed by the field names of Pulp's API.
 */

export class DistributionNotFoundError extends NotFoundError {
  constructor(readonly distributionId: string) {
    super(`distribution ${distributionId}`);
  }
}

/** A create under an id already taken by another distribution (ids are fresh per request, so a bug). */
export class DistributionAlreadyExistsError extends ConflictError {
  constructor(readonly distributionId: string) {
    super(`distribution ${distributionId} already exists with other settings`);
  }
}

/** One or more settings break a rule; every broken rule is reported, each under its field. */
export class InvalidDistributionError extends ValidationError {
  constructor(details: FieldErrors) {
    super(details);
  }
}
