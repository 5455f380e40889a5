import { ConflictError, NotFoundError, ValidationError } from '@wharf/contracts';

/*
 * The content service's own refusals, beside the domain's (libs/domain/content). Each names the object at
 * fault; the field names are those of Pulp's API, which the gateway reports them under.
 */

/** A unit key the catalog does not know (nothing recorded it, or orphan cleanup deleted it). */
export class UnknownUnitError extends ValidationError {
  constructor(
    readonly key: string,
    field = 'content_units',
  ) {
    super({ [field]: [`${key} is not a known content unit.`] });
  }
}

/** A unit that needs another unit the catalog does not know (a manifest recorded before its blobs were). */
export class IncompleteUnitError extends ValidationError {
  constructor(
    readonly key: string,
    readonly missing: string,
  ) {
    super({ content_units: [`${key} needs ${missing}, which is not a known content unit.`] });
  }
}

/** A digest used as one unit type that the catalog knows as another (a blob's digest given as a manifest). */
export class UnitTypeMismatchError extends ValidationError {
  constructor(
    readonly digest: string,
    readonly expected: string,
    readonly actual: readonly string[],
    field = 'content_units',
  ) {
    super({ [field]: [`${digest} is a ${actual.join(' and a ')}, not a ${expected}.`] });
  }
}

export class BaseVersionNotFoundError extends ValidationError {
  constructor(
    readonly repositoryId: string,
    readonly version: number,
  ) {
    super({ base_version: [`version ${version} of repository ${repositoryId} does not exist.`] });
  }
}

export class SourceRepositoryNotFoundError extends ValidationError {
  constructor(readonly repositoryId: string) {
    super({ source_repository: [`repository ${repositoryId} does not exist.`] });
  }
}

export class SourceVersionNotFoundError extends ValidationError {
  constructor(
    readonly repositoryId: string,
    readonly version: number,
  ) {
    super({
      source_repository_version: [`version ${version} of repository ${repositoryId} does not exist.`],
    });
  }
}

export class SourceTagsNotFoundError extends ValidationError {
  constructor(
    readonly repositoryId: string,
    readonly version: number,
    readonly names: readonly string[],
  ) {
    super({
      names: [`version ${version} of repository ${repositoryId} has no tag named ${names.join(', ')}.`],
    });
  }
}

export class SourceManifestsNotFoundError extends ValidationError {
  constructor(
    readonly repositoryId: string,
    readonly version: number,
    readonly digests: readonly string[],
  ) {
    super({
      digests: [`version ${version} of repository ${repositoryId} holds no manifest ${digests.join(', ')}.`],
    });
  }
}

/** A version that a publication or distribution serves; see VersionProtection. */
export class ProtectedVersionError extends ConflictError {
  constructor(
    readonly repositoryId: string,
    readonly version: number,
  ) {
    super(`version ${version} of repository ${repositoryId} is in use by a publication or distribution`);
  }
}

export class InvalidManifestError extends ValidationError {
  constructor(reason: string) {
    super({ manifest: [`not a valid manifest: ${reason}.`] });
  }
}

/** content.blob.record for bytes the blob store does not hold (or holds with another size). */
export class BlobNotStoredError extends ValidationError {
  constructor(
    readonly digest: string,
    reason: string,
  ) {
    super({ digest: [`blob ${digest} ${reason}.`] });
  }
}

export class UnitNotFoundError extends NotFoundError {
  constructor(readonly key: string) {
    super(`content unit ${key}`);
  }
}

/** A request field outside what the query accepts (a page limit of 0, an unknown membership). */
export class InvalidQueryError extends ValidationError {
  constructor(field: string, message: string) {
    super({ [field]: [message] });
  }
}
