import { readDescriptor, readOptionalArtifactType } from './descriptor.parser.js';
import type { JsonObjectReader } from './json-object.reader.js';
import type { ManifestSource } from './manifest-source.model.js';
import { isForeignLayerMediaType, isImageConfigMediaType } from './media-types.constants.js';
import type { BlobReference, Descriptor, ParsedManifest } from './parsed-manifest.model.js';

function uniqueBlobs(descriptors: readonly Descriptor[]): BlobReference[] {
  const byDigest = new Map<string, BlobReference>();
  for (const { digest, mediaType, size } of descriptors) {
    if (!byDigest.has(digest)) byDigest.set(digest, { digest, mediaType, size });
  }
  return [...byDigest.values()];
}

/**
 * Docker schema 2 and OCI image manifests, including OCI artifacts. A manifest is an artifact when it says
 * so (`artifactType`) or when its config is not an image config (a Helm chart, a signature...); its artifact
 * type is then `artifactType`, else the config's media type, as the OCI referrers API defines it.
 */
export function parseImageManifest(root: JsonObjectReader, source: ManifestSource): ParsedManifest {
  const config = readDescriptor(root.requiredObject('config'));
  const layers = root.requiredObjectArray('layers').map(readDescriptor);
  const subjectReader = root.optionalObject('subject');
  const subject = subjectReader && readDescriptor(subjectReader);
  const declaredArtifactType = readOptionalArtifactType(root);
  const annotations = root.stringMap('annotations');

  const isArtifact = declaredArtifactType !== undefined || !isImageConfigMediaType(config.mediaType);
  const artifactType = declaredArtifactType ?? (isArtifact ? config.mediaType : undefined);
  const foreignLayers = layers.filter((layer) => isForeignLayerMediaType(layer.mediaType));
  const blobs = uniqueBlobs([config, ...layers.filter((layer) => !isForeignLayerMediaType(layer.mediaType))]);

  return {
    mediaType: source.mediaType,
    schemaVersion: 2,
    kind: isArtifact ? 'artifact' : 'image',
    size: source.bytes.byteLength,
    digest: source.digest,
    bytesDigest: source.digest,
    signed: false,
    config,
    configDigest: config.digest,
    layerDigests: layers.map((layer) => layer.digest),
    listed: [],
    annotations,
    labels: {},
    ...(artifactType !== undefined && { artifactType }),
    ...(subject !== undefined && { subject, subjectDigest: subject.digest }),
    blobs,
    blobDigests: blobs.map((blob) => blob.digest),
    manifestDigests: [],
    foreignLayers,
  };
}
