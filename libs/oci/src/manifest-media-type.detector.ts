import type { JsonObjectReader } from './json-object.reader.js';
import { isManifestMediaType, isSchema1MediaType, MediaType } from './media-types.constants.js';

/**
 * Content types that say nothing about the manifest's kind: registries serve schema 1 as
 * `application/json`, and some servers label everything `application/octet-stream` or `text/plain`.
 * Such a declaration is treated as absent and the kind is read from the body.
 */
const UNINFORMATIVE_TYPES: readonly string[] = ['application/json', 'application/octet-stream', 'text/plain'];

function normalizeDeclared(declared: string | undefined): string | undefined {
  const essence = declared?.split(';')[0]?.trim().toLowerCase();
  return essence && !UNINFORMATIVE_TYPES.includes(essence) ? essence : undefined;
}

/**
 * Decides which kind of manifest a body is: from its `mediaType` field, else the declared type (the HTTP
 * Content-Type it arrived with), else its structure, since OCI manifests may omit `mediaType`. A declared
 * type that contradicts the body is an error, not a hint to ignore: serving the manifest under the wrong
 * type would break clients.
 */
export function detectManifestMediaType(root: JsonObjectReader, declaredMediaType?: string): string {
  const declared = normalizeDeclared(declaredMediaType);
  const schemaVersion = root.optionalNumber('schemaVersion');
  if (schemaVersion === undefined) throw root.invalid('schemaVersion', 'missing');
  const bodyType = root.optionalString('mediaType');

  if (schemaVersion === 1) {
    if (bodyType !== undefined && !isSchema1MediaType(bodyType)) {
      throw root.invalid('mediaType', `${bodyType} contradicts schemaVersion 1`);
    }
    if (declared !== undefined && !isSchema1MediaType(declared)) {
      throw root.invalid('mediaType', `declared as ${declared}, but the body is a schema 1 manifest`);
    }
    return root.has('signatures') ? MediaType.DockerManifestSchema1Signed : MediaType.DockerManifestSchema1;
  }
  if (schemaVersion !== 2) throw root.invalid('schemaVersion', `expected 1 or 2, got ${schemaVersion}`);

  if (bodyType !== undefined) {
    if (!isManifestMediaType(bodyType) || isSchema1MediaType(bodyType)) {
      throw root.invalid('mediaType', `unsupported manifest media type for schemaVersion 2: ${bodyType}`);
    }
    if (declared !== undefined && declared !== bodyType) {
      throw root.invalid('mediaType', `the body says ${bodyType}, but it was declared as ${declared}`);
    }
    return bodyType;
  }
  if (declared !== undefined) {
    if (!isManifestMediaType(declared) || isSchema1MediaType(declared)) {
      throw root.invalid('mediaType', `declared as ${declared}, which is not a schema 2 manifest media type`);
    }
    return declared;
  }
  const hasManifests = root.has('manifests');
  const hasImageFields = root.has('layers') || root.has('config');
  if (hasManifests && hasImageFields) {
    throw root.invalid('mediaType', 'missing, and the body has both manifests and layers/config');
  }
  if (hasManifests) return MediaType.OciIndex;
  if (hasImageFields) return MediaType.OciManifest;
  throw root.invalid('mediaType', 'missing, and the body has neither manifests nor layers to tell its kind');
}
