import { ConflictError, NotFoundError, ValidationError, type FieldErrors } from '@wharf/contracts';

/*
 * The remote aggregate's refusals. They extend the contract errors, whose names travel over the bus and
 * decide the HTTP status; validation details are keyed by the field names of Pulp's API.
 */

export class InvalidRemoteError extends ValidationError {
  constructor(details: FieldErrors) {
    super(details);
  }
}

export class RemoteNotFoundError extends NotFoundError {
  constructor(readonly remoteId: string) {
    super(`remote ${remoteId}`);
  }
}

export class RemoteAlreadyExistsError extends ConflictError {
  constructor(readonly remoteId: string) {
    super(`remote ${remoteId} already exists`);
  }
}
