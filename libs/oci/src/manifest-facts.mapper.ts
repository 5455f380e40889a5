import type { ManifestFacts } from '@wharf/contracts';
import type { ImageConfigFacts } from './image-config.parser.js';
import type { ParsedManifest } from './parsed-manifest.model.js';

/**
 * The catalog's record of a manifest: the parsed facts alone (without sync's working lists), with os,
 * architecture and labels taken from the image config when the manifest has one, since for schema 2 and
 * OCI images that is where they live.
 */
export function toManifestFacts(parsed: ParsedManifest, config?: ImageConfigFacts): ManifestFacts {
  const os = config?.os || parsed.os;
  const architecture = config?.architecture || parsed.architecture;
  return {
    mediaType: parsed.mediaType,
    schemaVersion: parsed.schemaVersion,
    kind: parsed.kind,
    size: parsed.size,
    ...(parsed.configDigest !== undefined && { configDigest: parsed.configDigest }),
    layerDigests: parsed.layerDigests,
    listed: parsed.listed,
    annotations: parsed.annotations,
    labels: config?.labels ?? parsed.labels,
    ...(os && { os }),
    ...(architecture && { architecture }),
    ...(parsed.artifactType !== undefined && { artifactType: parsed.artifactType }),
    ...(parsed.subjectDigest !== undefined && { subjectDigest: parsed.subjectDigest }),
  };
}
