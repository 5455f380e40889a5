import { isDigest, isValidRepositoryName, isValidTag, parseDigest } from '@wharf/oci';
import { RegistryError } from './registry.errors.js';

/** One endpoint of the registry API, with what its path names. */
export type RegistryRoute =
  | { readonly kind: 'base' }
  /** Outside /v2/: where clients trade credentials for a bearer token (see RegistryAccess). */
  | { readonly kind: 'token' }
  | { readonly kind: 'catalog' }
  | { readonly kind: 'tags'; readonly name: string }
  | { readonly kind: 'manifest'; readonly name: string; readonly reference: ManifestReference }
  | { readonly kind: 'blob'; readonly name: string; readonly digest: string }
  | { readonly kind: 'referrers'; readonly name: string; readonly digest: string }
  /** Where a blob upload starts (POST). */
  | { readonly kind: 'uploads'; readonly name: string }
  /** One blob upload session (PATCH, PUT, GET, DELETE). */
  | { readonly kind: 'upload'; readonly name: string; readonly uploadId: string };

export type ManifestReference =
  { readonly kind: 'tag'; readonly tag: string } | { readonly kind: 'digest'; readonly digest: string };

// Names may hold slashes, so the name is everything before the last endpoint segment; greedy `(.+)` and a
// last segment without slashes make that the rightmost match.
const NAMED_ENDPOINT = /^\/v2\/(.+)\/(manifests|blobs|referrers)\/([^/]+)$/;
const TAGS_LIST = /^\/v2\/(.+)\/tags\/list$/;
const UPLOADS = /^\/v2\/(.+)\/blobs\/uploads\/?$/;
const UPLOAD = /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/;
/** Upload ids are the blob store's session ids: letters, digits and a few URL-safe marks. */
const UPLOAD_ID = /^[A-Za-z0-9._-]{1,200}$/;

/** Maps a request path to its endpoint, or undefined for a path the API does not have. */
export function parseRegistryPath(path: string): RegistryRoute | undefined {
  if (path === '/v2/' || path === '/v2') return { kind: 'base' };
  if (path === '/v2/_catalog') return { kind: 'catalog' };
  if (path === '/token') return { kind: 'token' };
  const tags = TAGS_LIST.exec(path);
  if (tags) return { kind: 'tags', name: validName(tags[1]!) };
  const uploads = UPLOADS.exec(path);
  if (uploads) return { kind: 'uploads', name: validName(uploads[1]!) };
  const upload = UPLOAD.exec(path);
  if (upload) {
    const name = validName(upload[1]!);
    const uploadId = upload[2]!;
    if (!UPLOAD_ID.test(uploadId)) {
      throw new RegistryError('BLOB_UPLOAD_UNKNOWN', `no blob upload ${uploadId} in ${name}`, {
        name,
        uploadId,
      });
    }
    return { kind: 'upload', name, uploadId };
  }
  const named = NAMED_ENDPOINT.exec(path);
  if (!named) return undefined;
  const name = validName(named[1]!);
  const last = decodeSegment(named[3]!);
  switch (named[2]) {
    case 'manifests':
      return { kind: 'manifest', name, reference: manifestReference(name, last) };
    case 'blobs':
      return { kind: 'blob', name, digest: validDigest(last) };
    default:
      return { kind: 'referrers', name, digest: validDigest(last) };
  }
}

function validName(name: string): string {
  if (!isValidRepositoryName(name)) {
    throw new RegistryError('NAME_INVALID', `invalid repository name: ${name}`, { name });
  }
  return name;
}

function manifestReference(name: string, reference: string): ManifestReference {
  if (reference.includes(':')) return { kind: 'digest', digest: validDigest(reference) };
  if (isValidTag(reference)) return { kind: 'tag', tag: reference };
  // Distribution's router matches only valid tags and digests, so anything else is simply not there.
  throw new RegistryError('MANIFEST_UNKNOWN', `invalid tag ${reference} in ${name}`, { name, reference });
}

function validDigest(value: string): string {
  if (isDigest(value)) return value;
  let reason = 'invalid digest';
  try {
    parseDigest(value);
  } catch (error) {
    reason = (error as Error).message;
  }
  throw new RegistryError('DIGEST_INVALID', reason, { digest: value });
}

// Some clients escape the ':' of a digest.
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
