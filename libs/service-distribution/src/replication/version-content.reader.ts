import { Readable } from 'node:stream';
import type { BlobStore } from '@wharf/ports';
import type { Queries } from '@wharf/runtime';
import {
  manifestBytesDigest,
  parseUnitKey,
  type CatalogUnit,
  type UnitType,
  type VersionRef,
} from '@wharf/contracts';

/** A tag of a version: its name and the digest of the manifest it points at. */
export interface VersionTag {
  readonly name: string;
  readonly digest: string;
}

/** A manifest of a version with what a registry needs to store it elsewhere. */
export interface VersionManifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  /** Manifests it lists (indexes), pushed before it. */
  readonly manifests: readonly string[];
  /** Config and layer blobs it references (foreign layers are not among them). */
  readonly blobs: readonly string[];
  /** Where the exact bytes are in the blob store (differs from `digest` for signed schema 1 only). */
  readonly bytesDigest: string;
}

/** Everything a version holds, as pushing or exporting it needs it; blobs' bytes stay in the blob store. */
export interface VersionContent {
  readonly version: VersionRef;
  readonly tags: readonly VersionTag[];
  readonly manifests: ReadonlyMap<string, VersionManifest>;
  /** Blob digest → size. */
  readonly blobs: ReadonlyMap<string, number>;
}

const PAGE = 1_000;

/**
 * Reads a repository version's tags, manifests and blobs from the content service, a page at a time. Memory
 * holds one entry per unit (digests and sizes, never bytes): what a push or export must keep track of anyway.
 */
export class VersionContentReader {
  constructor(
    private readonly queries: Queries,
    private readonly blobs: BlobStore,
  ) {}

  async read(version: VersionRef): Promise<VersionContent> {
    const tags: VersionTag[] = [];
    for await (const unit of this.units(version, 'tag')) tags.push({ name: unit.name!, digest: unit.digest });
    const manifests = new Map<string, VersionManifest>();
    for await (const unit of this.units(version, 'manifest')) {
      const references = unit.references.map(parseUnitKey);
      manifests.set(unit.digest, {
        digest: unit.digest,
        mediaType: unit.manifest?.mediaType ?? 'application/octet-stream',
        size: unit.size ?? 0,
        manifests: references.filter((r) => r.type === 'manifest').map((r) => r.digest),
        blobs: references.filter((r) => r.type === 'blob').map((r) => r.digest),
        bytesDigest: manifestBytesDigest(unit),
      });
    }
    const blobs = new Map<string, number>();
    for await (const unit of this.units(version, 'blob')) blobs.set(unit.digest, unit.size ?? 0);
    return { version, tags, manifests, blobs };
  }

  /** A manifest's exact bytes (manifests are at most 4 MiB, so they are read whole). */
  async manifestBytes(manifest: VersionManifest): Promise<Buffer> {
    const stream = await this.blobs.get(manifest.bytesDigest);
    return Buffer.concat(await stream.toArray());
  }

  /** A blob's bytes as a stream, or the inclusive range of them. */
  blob(digest: string, range?: { start: number; end: number }): Promise<Readable> {
    return this.blobs.get(digest, range);
  }

  private async *units(version: VersionRef, type: UnitType): AsyncGenerator<CatalogUnit> {
    let afterKey: string | undefined;
    do {
      const page = await this.queries.ask('content.unit.list', {
        type,
        limit: PAGE,
        ...(afterKey !== undefined && { afterKey }),
        repositoryVersion: { ...version, membership: 'present' },
      });
      yield* page.items;
      afterKey = page.nextAfterKey;
    } while (afterKey !== undefined);
  }
}
