export * from './digest.util.js';
export * from './names.validator.js';
export * from './media-types.constants.js';
export * from './oci.errors.js';
export type { Descriptor, BlobReference, ParsedManifest } from './parsed-manifest.model.js';
export { MAX_MANIFEST_BYTES, parseManifest } from './manifest.parser.js';
export { parseImageConfig, type ImageConfigFacts } from './image-config.parser.js';
export { toManifestFacts } from './manifest-facts.mapper.js';
