import { ManifestInvalidError } from './oci.errors.js';

/** Decodes strict UTF-8 JSON; `field` and `what` name the document in the error ('' = the manifest). */
export function decodeJsonDocument(bytes: Uint8Array, field = '', what = 'manifest'): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ManifestInvalidError(field, `${what} is not UTF-8 JSON (${reason})`);
  }
}
