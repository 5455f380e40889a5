import { isDigest } from '@wharf/oci';

/** What a failed request was doing, so messages name the registry object at fault. */
export interface RegistryOperation {
  readonly method: string;
  /** `manifest`, `blob`, `tags`, `token`, … */
  readonly object: string;
  readonly repository?: string;
  /** A tag or a digest. */
  readonly reference?: string;
  /** Free text after the object, e.g. the scopes of a token request. */
  readonly detail?: string;
}

export function describeOperation(operation: RegistryOperation): string {
  const parts = [operation.method, operation.object];
  if (operation.repository !== undefined) {
    const reference = operation.reference;
    const separator = reference === undefined ? '' : isDigest(reference) ? '@' : ':';
    parts.push(`${operation.repository}${separator}${reference ?? ''}`);
  }
  if (operation.detail) parts.push(operation.detail);
  return parts.join(' ');
}

export interface RegistryErrorDetails {
  readonly status?: number;
  /** The first `code` of the registry's `{"errors":[{code,message}]}` body. */
  readonly code?: string;
  readonly registryMessage?: string;
  /** Our own explanation, for failures the status alone does not explain. */
  readonly reason?: string;
  readonly cause?: unknown;
}

/**
 * A request to an upstream registry failed. The message reads like
 * `GET manifest library/alpine:3.19 from http://127.0.0.1:5000: 404 MANIFEST_UNKNOWN` and never contains
 * credentials.
 */
export class RegistryError extends Error {
  override readonly name: string = 'RegistryError';
  readonly status?: number;
  readonly code?: string;
  readonly registryMessage?: string;
  readonly repository?: string;
  readonly reference?: string;

  constructor(
    /** The registry's URL (or a token server's) the request went to. */
    readonly registry: string,
    readonly operation: RegistryOperation,
    details: RegistryErrorDetails,
  ) {
    const statusPart = [details.status, details.code].filter((part) => part !== undefined).join(' ');
    const reasonPart =
      details.reason === undefined ? '' : statusPart ? ` (${details.reason})` : details.reason;
    super(`${describeOperation(operation)} from ${registry}: ${statusPart}${reasonPart}`, {
      cause: details.cause,
    });
    this.status = details.status;
    this.code = details.code;
    this.registryMessage = details.registryMessage;
    this.repository = operation.repository;
    this.reference = operation.reference;
  }
}

/** The registry or its token server refused the credentials, or demands some where none were given. */
export class RegistryAuthError extends RegistryError {
  override readonly name: string = 'RegistryAuthError';
}

/** Content whose bytes do not hash to the digest they were asked for (or announced with). */
export class DigestMismatchError extends RegistryError {
  override readonly name: string = 'DigestMismatchError';

  constructor(
    registry: string,
    operation: RegistryOperation,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(registry, operation, { reason: `content digest is ${actual}, expected ${expected}` });
  }
}

/** The connection ended before the announced Content-Length arrived. */
export class TruncatedContentError extends RegistryError {
  override readonly name: string = 'TruncatedContentError';

  constructor(
    registry: string,
    operation: RegistryOperation,
    readonly expectedBytes: number,
    readonly receivedBytes: number,
    cause?: unknown,
  ) {
    super(registry, operation, {
      reason: `connection ended after ${receivedBytes} of ${expectedBytes} bytes`,
      cause,
    });
  }
}

/** A manifest larger than distribution's limit (4 MiB): refused while streaming, never held whole. */
export class ManifestTooLargeError extends RegistryError {
  override readonly name: string = 'ManifestTooLargeError';

  constructor(
    registry: string,
    operation: RegistryOperation,
    readonly limitBytes: number,
  ) {
    super(registry, operation, { reason: `manifest is larger than the ${limitBytes}-byte limit` });
  }
}
