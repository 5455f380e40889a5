import type { ManifestFacts, Platform } from '@wharf/contracts';

/** A content descriptor (OCI image spec): what a manifest says about content it points at. */
export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  /** Where else the bytes can be fetched (foreign layers). */
  readonly urls?: readonly string[];
  readonly annotations?: Readonly<Record<string, string>>;
  readonly artifactType?: string;
  /** Index / manifest list entries only. */
  readonly platform?: Platform;
}

/** A blob a manifest needs. Schema 1 manifests do not record blob sizes, hence `size` is optional. */
export interface BlobReference {
  readonly digest: string;
  readonly mediaType: string;
  readonly size?: number;
}

/**
 * Everything Wharf needs from a manifest's bytes: the catalog's facts (labels, os and architecture stay empty
 * until `toManifestFacts` merges the image config in) plus what sync must fetch next.
 */
export interface ParsedManifest extends ManifestFacts {
  /**
   * The manifest's identity as registries and clients see it: what follows `@` in a reference and what
   * `Docker-Content-Digest` reports. For every kind but signed schema 1 it is the digest of the bytes.
   */
  readonly digest: string;
  /** sha256 of the exact bytes given; differs from `digest` only for signed schema 1 manifests. */
  readonly bytesDigest: string;
  /** Schema 1 manifests carrying JWS signatures. */
  readonly signed: boolean;
  readonly config?: Descriptor;
  readonly subject?: Descriptor;
  /**
   * Blobs a registry serves for this manifest (config and distributable layers), each once, in manifest
   * order. These are the blob units the manifest references.
   */
  readonly blobs: readonly BlobReference[];
  /** The digests of `blobs`. */
  readonly blobDigests: readonly string[];
  /** Manifests an index or manifest list lists, each once. */
  readonly manifestDigests: readonly string[];
  /** Foreign (Docker) and non-distributable (OCI) layers: not served by registries, so sync skips them. */
  readonly foreignLayers: readonly Descriptor[];
}
