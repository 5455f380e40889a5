import { ConflictError, NotFoundError, ValidationError, type FieldErrors } from '@wharf/contracts';

/*
 * The domain's errors extend the shared contract errors, whose `name` travels over the bus and decides the
 * HTTP status (ValidationError 400, NotFoundError 404, ConflictError 409), while callers in-process can still
 * tell them apart by class. Validation details are keyed by the field names of Pulp's API.
 */

export class RepositoryNotFoundError extends NotFoundError {
  constructor(readonly repositoryId: string) {
    super(`repository ${repositoryId}`);
  }
}

export class VersionNotFoundError extends NotFoundError {
  constructor(
    readonly repositoryId: string,
    readonly version: number,
  ) {
    super(`version ${version} of repository ${repositoryId}`);
  }
}

export class RepositoryAlreadyExistsError extends ConflictError {
  constructor(readonly repositoryId: string) {
    super(`repository ${repositoryId} already exists`);
  }
}

export class LatestVersionDeletionError extends ConflictError {
  constructor(
    readonly repositoryId: string,
    readonly version: number,
  ) {
    super(`version ${version} is the latest version of repository ${repositoryId} and cannot be deleted`);
  }
}

export class StaleChangeError extends ConflictError {
  constructor(
    readonly repositoryId: string,
    readonly expectedLatestVersion: number,
    readonly latestVersion: number,
  ) {
    super(
      `repository ${repositoryId}: the change was planned against version ${expectedLatestVersion}, ` +
        `but version ${latestVersion} is the latest now`,
    );
  }
}

export class InvalidRepositoryError extends ValidationError {
  constructor(details: FieldErrors) {
    super(details);
  }
}

export class InvalidTagError extends ValidationError {
  constructor(readonly tag: string) {
    super({ tag: [`${JSON.stringify(tag)} is not a valid tag name ([a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}).`] });
  }
}

export class DuplicateTagError extends ValidationError {
  constructor(
    readonly tag: string,
    readonly keys: readonly string[],
  ) {
    super({
      tag: [`tag ${tag} is requested more than once, pointing at different manifests: ${keys.join(', ')}.`],
    });
  }
}

export class InvalidManifestDigestError extends ValidationError {
  constructor(readonly digest: string) {
    super({ digest: [`${JSON.stringify(digest)} is not a manifest digest.`] });
  }
}

export class ManifestNotPresentError extends ValidationError {
  constructor(readonly digest: string) {
    super({ digest: [`manifest ${digest} is not present in the repository version.`] });
  }
}

export class TagNotFoundError extends ValidationError {
  constructor(readonly tag: string) {
    super({ tag: [`tag ${tag} is not present in the repository version.`] });
  }
}

export class InvalidUnitKeyError extends ValidationError {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super({ content_units: [`${JSON.stringify(key)} is not a content unit: ${reason}.`] });
  }
}

/**
 * A change that contradicts the repository's own record (its counts do not add up, a key is both added
 * and removed). It means the planner or the read model it used is wrong, so it is a server fault, not the
 * user's, and it is refused rather than recorded.
 */
export class InconsistentChangeError extends Error {
  override readonly name = 'InconsistentChangeError';
  constructor(
    readonly repositoryId: string,
    reason: string,
  ) {
    super(`repository ${repositoryId}: inconsistent change: ${reason}`);
  }
}

/** A stream whose events cannot have been written by `decide` (a commit without all of its chunks). */
export class CorruptStreamError extends Error {
  override readonly name = 'CorruptStreamError';
  constructor(reason: string) {
    super(`repository stream is corrupt: ${reason}`);
  }
}
