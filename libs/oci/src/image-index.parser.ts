import { readDescriptor, readOptionalArtifactType } from './descriptor.parser.js';
import type { JsonObjectReader } from './json-object.reader.js';
import type { ManifestSource } from './manifest-source.model.js';
import type { ParsedManifest } from './parsed-manifest.model.js';

/** Docker manifest lists and OCI image indexes: they reference manifests, never blobs. */
export function parseImageIndex(root: JsonObjectReader, source: ManifestSource): ParsedManifest {
  const manifests = root.requiredObjectArray('manifests').map(readDescriptor);
  const subjectReader = root.optionalObject('subject');
  const subject = subjectReader && readDescriptor(subjectReader);
  const artifactType = readOptionalArtifactType(root);
  const annotations = root.stringMap('annotations');

  return {
    mediaType: source.mediaType,
    schemaVersion: 2,
    kind: 'list',
    size: source.bytes.byteLength,
    digest: source.digest,
    bytesDigest: source.digest,
    signed: false,
    layerDigests: [],
    listed: manifests.map(({ digest, mediaType, platform }) => ({
      digest,
      mediaType,
      ...(platform !== undefined && { platform }),
    })),
    annotations,
    labels: {},
    ...(artifactType !== undefined && { artifactType }),
    ...(subject !== undefined && { subject, subjectDigest: subject.digest }),
    blobs: [],
    blobDigests: [],
    manifestDigests: [...new Set(manifests.map((manifest) => manifest.digest))],
    foreignLayers: [],
  };
}
