/**
 * Errors that mean something to a caller on the other side of the bus. They travel as RemoteError with this
 * `name`; the gateway maps them to HTTP (400 with `details` keyed by field, 404, 409, 503).
 */
export type FieldErrors = Readonly<Record<string, readonly string[]>>;

export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(readonly details: FieldErrors) {
    super(
      Object.entries(details)
        .map(([field, messages]) => `${field}: ${messages.join(' ')}`)
        .join('; '),
    );
  }
}

export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(what: string) {
    super(`${what} not found`);
  }
}

export class ConflictError extends Error {
  override readonly name = 'ConflictError';
}
