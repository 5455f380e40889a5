/**
 * Media types of the manifests and blobs Wharf understands: Docker's v2 formats (schema 1, kept for old
 * upstreams, and schema 2) and the OCI image spec's.
 */
export const MediaType = {
  DockerManifestSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  DockerManifestSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  DockerManifestSchema2: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerImageConfig: 'application/vnd.docker.container.image.v1+json',
  DockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  DockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  /** The layer type schema 1 manifests imply for their `fsLayers`. */
  DockerSchema1Layer: 'application/vnd.docker.container.image.rootfs.diff+x-gtar',
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciImageConfig: 'application/vnd.oci.image.config.v1+json',
  OciLayer: 'application/vnd.oci.image.layer.v1.tar',
  OciLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  OciLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  OciNondistributableLayer: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  OciNondistributableLayerGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  OciNondistributableLayerZstd: 'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
  /** The two-byte `{}` blob artifacts use as a config or layer when they have none. */
  OciEmpty: 'application/vnd.oci.empty.v1+json',
} as const;

/** Every manifest media type Wharf parses, most preferred first (the order of the Accept header below). */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  MediaType.OciIndex,
  MediaType.OciManifest,
  MediaType.DockerManifestList,
  MediaType.DockerManifestSchema2,
  MediaType.DockerManifestSchema1Signed,
  MediaType.DockerManifestSchema1,
];

/**
 * What a client sends as `Accept` when fetching manifests. Registries fall back to converting a manifest
 * to schema 1 when the client does not list the newer types, so every type is listed.
 */
export const MANIFEST_ACCEPT_HEADER = MANIFEST_MEDIA_TYPES.join(', ');

const LIST_MEDIA_TYPES: readonly string[] = [MediaType.OciIndex, MediaType.DockerManifestList];
const SCHEMA1_MEDIA_TYPES: readonly string[] = [
  MediaType.DockerManifestSchema1,
  MediaType.DockerManifestSchema1Signed,
];
const IMAGE_CONFIG_MEDIA_TYPES: readonly string[] = [MediaType.DockerImageConfig, MediaType.OciImageConfig];
const FOREIGN_LAYER_MEDIA_TYPES: readonly string[] = [
  MediaType.DockerForeignLayer,
  MediaType.OciNondistributableLayer,
  MediaType.OciNondistributableLayerGzip,
  MediaType.OciNondistributableLayerZstd,
];

export function isManifestMediaType(mediaType: string): boolean {
  return MANIFEST_MEDIA_TYPES.includes(mediaType);
}

/** A manifest list or OCI index. */
export function isListMediaType(mediaType: string): boolean {
  return LIST_MEDIA_TYPES.includes(mediaType);
}

export function isSchema1MediaType(mediaType: string): boolean {
  return SCHEMA1_MEDIA_TYPES.includes(mediaType);
}

/** A config that describes a runnable image (as opposed to an artifact's config). */
export function isImageConfigMediaType(mediaType: string): boolean {
  return IMAGE_CONFIG_MEDIA_TYPES.includes(mediaType);
}

/** Layers registries do not serve (their bytes live at `urls` elsewhere, or nowhere): sync skips them. */
export function isForeignLayerMediaType(mediaType: string): boolean {
  return FOREIGN_LAYER_MEDIA_TYPES.includes(mediaType);
}
