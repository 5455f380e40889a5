import { sha256Digest } from './digest.util.js';
import { parseImageIndex } from './image-index.parser.js';
import { parseImageManifest } from './image-manifest.parser.js';
import { decodeJsonDocument } from './json-document.util.js';
import { JsonObjectReader } from './json-object.reader.js';
import { detectManifestMediaType } from './manifest-media-type.detector.js';
import { isListMediaType, isSchema1MediaType } from './media-types.constants.js';
import { ManifestInvalidError } from './oci.errors.js';
import type { ParsedManifest } from './parsed-manifest.model.js';
import { parseSchema1Manifest } from './schema1-manifest.parser.js';

/** The largest manifest accepted: distribution's limit, so whatever an upstream serves, Wharf can take. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/**
 * Validates a manifest of any supported kind and indexes it. `declaredMediaType` is the Content-Type it came
 * with (optional; parameters and generic types like application/json are ignored). Throws
 * ManifestInvalidError, naming the field at fault, for anything a registry should refuse; never another error.
 */
export function parseManifest(bytes: Uint8Array, declaredMediaType?: string): ParsedManifest {
  if (bytes.byteLength > MAX_MANIFEST_BYTES) {
    throw new ManifestInvalidError(
      '',
      `${bytes.byteLength} bytes is over the ${MAX_MANIFEST_BYTES}-byte manifest size limit`,
    );
  }
  const root = JsonObjectReader.of(decodeJsonDocument(bytes), '');
  const mediaType = detectManifestMediaType(root, declaredMediaType);
  if (isSchema1MediaType(mediaType)) return parseSchema1Manifest(bytes, root);
  const source = { bytes, digest: sha256Digest(bytes), mediaType };
  return isListMediaType(mediaType) ? parseImageIndex(root, source) : parseImageManifest(root, source);
}
