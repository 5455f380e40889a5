/**
 * The error codes of the OCI distribution spec this registry answers with, and the HTTP status
 * each goes with. Clients branch on `code`; `message` is for people; `detail` carries the object concerned.
 */
export type RegistryErrorCode =
  | 'NAME_UNKNOWN'
  | 'NAME_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'SIZE_INVALID'
  | 'DENIED'
  | 'DIGEST_INVALID'
  | 'PAGINATION_NUMBER_INVALID'
  | 'RANGE_INVALID'
  | 'UNAUTHORIZED'
  | 'UNSUPPORTED';

const STATUS: Readonly<Record<RegistryErrorCode, number>> = {
  NAME_UNKNOWN: 404,
  NAME_INVALID: 400,
  MANIFEST_UNKNOWN: 404,
  BLOB_UNKNOWN: 404,
  BLOB_UPLOAD_INVALID: 400,
  BLOB_UPLOAD_UNKNOWN: 404,
  MANIFEST_INVALID: 400,
  MANIFEST_BLOB_UNKNOWN: 400,
  SIZE_INVALID: 400,
  DENIED: 403,
  DIGEST_INVALID: 400,
  PAGINATION_NUMBER_INVALID: 400,
  RANGE_INVALID: 416,
  UNAUTHORIZED: 401,
  UNSUPPORTED: 405,
};

export class RegistryError extends Error {
  readonly status: number;

  constructor(
    readonly code: RegistryErrorCode,
    message: string,
    readonly detail: Readonly<Record<string, unknown>> = {},
    status?: number,
    /** Headers the error response carries (Content-Range on 416, Allow on 405). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'RegistryError';
    this.status = status ?? STATUS[code];
  }

  /** The spec's error body. */
  toBody(): {
    errors: { code: RegistryErrorCode; message: string; detail: Readonly<Record<string, unknown>> }[];
  } {
    return { errors: [{ code: this.code, message: this.message, detail: this.detail }] };
  }
}

export function nameUnknown(name: string, why = 'repository name not known to registry'): RegistryError {
  return new RegistryError('NAME_UNKNOWN', `${why}: ${name}`, { name });
}

export function manifestUnknown(name: string, reference: string, why = 'manifest unknown'): RegistryError {
  return new RegistryError('MANIFEST_UNKNOWN', `${why}: ${name}@${reference}`, { name, reference });
}

export function blobUnknown(name: string, digest: string): RegistryError {
  return new RegistryError('BLOB_UNKNOWN', `blob unknown to registry: ${name}@${digest}`, { name, digest });
}

export function uploadUnknown(name: string, uploadId: string): RegistryError {
  return new RegistryError('BLOB_UPLOAD_UNKNOWN', `blob upload unknown to registry: ${name} ${uploadId}`, {
    name,
    uploadId,
  });
}
