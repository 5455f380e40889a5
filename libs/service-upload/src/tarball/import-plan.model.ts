import { isValidTag } from '@wharf/oci';
import { TarballInvalidError } from './tarball.errors.js';

/** A manifest the import records: its exact bytes (made by Wharf for a docker-archive, as stored for OCI). */
export interface PlannedManifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly bytes: Buffer;
}

/**
 * Everything an archive holds, checked and ready to record: nothing in it is recorded before the whole archive
 * has been read and every reference resolved, so a refused archive leaves the catalog and repository alone.
 */
export class ImportPlan {
  /** digest → size of every blob a manifest references. */
  readonly blobs = new Map<string, number>();
  /** Children before the indexes listing them, each once. */
  readonly manifests: PlannedManifest[] = [];
  /** tag → manifest digest. */
  readonly tags = new Map<string, string>();
  /** Top-level manifests the archive gives no tag. */
  readonly untagged = new Set<string>();
  private readonly manifestDigests = new Set<string>();

  addManifest(manifest: PlannedManifest): void {
    if (this.manifestDigests.has(manifest.digest)) return;
    this.manifestDigests.add(manifest.digest);
    this.manifests.push(manifest);
  }

  /** A tag names one image; an archive giving it to two is refused rather than resolved by order. */
  tag(entry: string, tag: string, digest: string): void {
    if (!isValidTag(tag)) throw new TarballInvalidError(entry, `${JSON.stringify(tag)} is not a valid tag`);
    const earlier = this.tags.get(tag);
    if (earlier !== undefined && earlier !== digest) {
      throw new TarballInvalidError(entry, `tag ${JSON.stringify(tag)} is given to ${earlier} and ${digest}`);
    }
    this.tags.set(tag, digest);
    this.untagged.delete(digest);
  }

  addUntagged(digest: string): void {
    if (![...this.tags.values()].includes(digest)) this.untagged.add(digest);
  }
}

/** Reads an archive member as a small JSON document (metadata, configs, manifests), bounded in size. */
export type ReadSmallEntry = (name: string) => Promise<Buffer>;

export function parseJsonEntry(name: string, bytes: Buffer): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new TarballInvalidError(
      name,
      `is not UTF-8 JSON (${error instanceof Error ? error.message : error})`,
    );
  }
}

/** The tag of an image reference (`name:tag`, `registry:5000/name:tag`) or a bare tag. */
export function tagOfReference(reference: string): string | undefined {
  const lastSlash = reference.lastIndexOf('/');
  const colon = reference.indexOf(':', lastSlash + 1);
  if (colon === -1) return lastSlash === -1 && isValidTag(reference) ? reference : undefined;
  return reference.slice(colon + 1);
}
