import { sha256Digest } from './digest.util.js';
import { decodeJsonDocument } from './json-document.util.js';
import { JsonObjectReader } from './json-object.reader.js';
import { MediaType } from './media-types.constants.js';
import type { BlobReference, ParsedManifest } from './parsed-manifest.model.js';
import { signedSchema1Payload } from './schema1-signature.parser.js';

interface V1Compatibility {
  readonly os?: string;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The newest layer's v1Compatibility entry is the image's old-style config. It is free-form JSON that
 * nothing validates, so it is read tolerantly: what cannot be read is simply not reported.
 */
function readV1Compatibility(json: string): V1Compatibility {
  let document: unknown;
  try {
    document = JSON.parse(json);
  } catch {
    return { labels: {} };
  }
  if (typeof document !== 'object' || document === null) return { labels: {} };
  const { os, config } = document as { os?: unknown; config?: unknown };
  const rawLabels =
    typeof config === 'object' && config !== null ? (config as { Labels?: unknown }).Labels : undefined;
  const labels =
    typeof rawLabels === 'object' && rawLabels !== null
      ? Object.fromEntries(Object.entries(rawLabels).filter((entry) => typeof entry[1] === 'string'))
      : {};
  return { ...(typeof os === 'string' && { os }), labels };
}

/**
 * Docker v2 schema 1 manifests, unsigned or signed.
 *
 * Which digest names a signed one: the registry (distribution/distribution) keeps the signed bytes and serves
 * them as they were pushed, but computes the manifest's digest over the JWS payload, i.e. the bytes with the
 * signatures cut out (see `signedSchema1Payload`). That payload digest is what `Docker-Content-Digest`
 * reports, what clients pull by and what Pulp records, so it is `digest` here and names the manifest unit;
 * the digest of the stored bytes is kept apart as `bytesDigest` for whoever checks the bytes themselves.
 * The fields are read from the payload too, since that is the part the signatures cover.
 */
export function parseSchema1Manifest(bytes: Uint8Array, root: JsonObjectReader): ParsedManifest {
  const signed = root.has('signatures');
  const payload = signed ? signedSchema1Payload(bytes, root) : bytes;
  const manifest = signed
    ? JsonObjectReader.of(decodeJsonDocument(payload, 'signatures', 'the signed payload'), '')
    : root;
  const schemaVersion = manifest.optionalNumber('schemaVersion');
  if (schemaVersion !== 1) throw manifest.invalid('schemaVersion', `expected 1, got ${schemaVersion}`);
  manifest.requiredString('name');
  manifest.requiredString('tag');
  const architecture = manifest.requiredString('architecture');
  const fsLayers = manifest.requiredObjectArray('fsLayers');
  if (fsLayers.length === 0) throw manifest.invalid('fsLayers', 'empty; an image has one or more layers');
  const history = manifest.requiredObjectArray('history');
  if (history.length !== fsLayers.length) {
    throw manifest.invalid('history', `has ${history.length} entries for ${fsLayers.length} fsLayers`);
  }
  const v1Compatibility = history.map((entry) => entry.requiredString('v1Compatibility'));
  const layerDigests = fsLayers.map((layer) => layer.requiredDigest('blobSum'));
  const { os, labels } = readV1Compatibility(v1Compatibility[0]);
  // Schema 1 repeats the empty layer once per history entry: each blob is needed once.
  const blobs: BlobReference[] = [...new Set(layerDigests)].map((digest) => ({
    digest,
    mediaType: MediaType.DockerSchema1Layer,
  }));

  return {
    mediaType: signed ? MediaType.DockerManifestSchema1Signed : MediaType.DockerManifestSchema1,
    schemaVersion: 1,
    kind: 'image',
    size: bytes.byteLength,
    digest: sha256Digest(payload),
    bytesDigest: sha256Digest(bytes),
    signed,
    layerDigests,
    listed: [],
    annotations: {},
    labels,
    ...(os !== undefined && { os }),
    architecture,
    blobs,
    blobDigests: blobs.map((blob) => blob.digest),
    manifestDigests: [],
    foreignLayers: [],
  };
}
