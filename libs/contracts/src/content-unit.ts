/**
 * Content units are global and content-addressed: the same blob, manifest or tag is one unit however many
 * repositories hold it. A unit is named by a key that encodes its type and identity:
 *
 *   blob:sha256:<hex>                the bytes of a layer or config
 *   manifest:sha256:<hex>            a manifest, manifest list or index, by the digest of its exact bytes
 *   tag:<name>@sha256:<hex>          a tag name pointing at a manifest (name per the OCI tag grammar, no ':' or '@')
 */
export type UnitType = 'blob' | 'manifest' | 'tag';
export type UnitKey = string;

export const UNIT_TYPES: readonly UnitType[] = ['blob', 'manifest', 'tag'];

export function blobKey(digest: string): UnitKey {
  return `blob:${digest}`;
}

export function manifestKey(digest: string): UnitKey {
  return `manifest:${digest}`;
}

export function tagKey(name: string, manifestDigest: string): UnitKey {
  return `tag:${name}@${manifestDigest}`;
}

export interface ParsedUnitKey {
  readonly type: UnitType;
  /** The blob's or manifest's digest; for a tag, the digest of the manifest it points at. */
  readonly digest: string;
  /** The tag name (tags only). */
  readonly name?: string;
}

export function parseUnitKey(key: UnitKey): ParsedUnitKey {
  const colon = key.indexOf(':');
  const type = key.slice(0, colon);
  const rest = key.slice(colon + 1);
  if (type === 'blob' || type === 'manifest') return { type, digest: rest };
  if (type === 'tag') {
    const at = rest.lastIndexOf('@');
    if (at > 0) return { type, name: rest.slice(0, at), digest: rest.slice(at + 1) };
  }
  throw new Error(`not a content unit key: ${key}`);
}

export function unitTypeOf(key: UnitKey): UnitType {
  return parseUnitKey(key).type;
}

/** A platform a manifest list / index entry is for. */
export interface Platform {
  readonly os: string;
  readonly architecture: string;
  readonly variant?: string;
  readonly osVersion?: string;
}

/** What the catalog indexes about a manifest, read from its bytes (and its config blob's labels). */
export interface ManifestFacts {
  readonly mediaType: string;
  readonly schemaVersion: 1 | 2;
  /** 'image' (single image), 'list' (manifest list / OCI index), 'artifact' (has artifactType or a non-image config). */
  readonly kind: 'image' | 'list' | 'artifact';
  readonly size: number;
  readonly configDigest?: string;
  readonly layerDigests: readonly string[];
  /** Listed manifests (lists/indexes only), each with its platform when given. */
  readonly listed: readonly {
    readonly digest: string;
    readonly mediaType: string;
    readonly platform?: Platform;
  }[];
  readonly annotations: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly os?: string;
  readonly architecture?: string;
  readonly artifactType?: string;
  readonly subjectDigest?: string;
}

/** One unit as the catalog records it. */
export interface CatalogUnit {
  readonly key: UnitKey;
  readonly type: UnitType;
  /** Blob/manifest digest; for a tag, the manifest's digest. */
  readonly digest: string;
  /** Tags only. */
  readonly name?: string;
  /** Bytes of a blob or manifest. */
  readonly size?: number;
  /**
   * Units this unit needs to be complete: a tag → its manifest; a manifest → its config and layer blobs and
   * listed manifests. (A subject is not a reference: an artifact does not pull its subject along.)
   */
  readonly references: readonly UnitKey[];
  readonly manifest?: ManifestFacts;
  /** When the catalog first saw the unit (orphan cleanup protects young units). */
  readonly createdAt: string;
  /**
   * Blobs synced with policy on_demand: where to fetch the bytes while the blob store does not hold them.
   * The blob store, not the catalog, says whether a blob is local: once the bytes are fetched (on first pull,
   * or by any later sync or upload) they are served from there and this reference is no longer used.
   */
  readonly onDemand?: OnDemandSource;
}

/** Where an on_demand blob's bytes come from: a remote (its registry, TLS settings and credentials) and its repository there. */
export interface OnDemandSource {
  readonly remoteId: string;
  /** The repository at the remote's registry that holds the blob (the remote's upstream_name at sync time). */
  readonly upstreamName: string;
}
