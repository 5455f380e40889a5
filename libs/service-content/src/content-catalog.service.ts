import { Readable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import {
  blobKey,
  manifestKey,
  parseUnitKey,
  tagKey,
  unitTypeOf,
  type CatalogUnit,
  type ManifestUnit,
  type OnDemandSource,
  type UnitKey,
  type UnitType,
} from '@wharf/contracts';
import { BlobStore, ContentIndex, readSmallBlob } from '@wharf/ports';
import {
  isDigest,
  isImageConfigMediaType,
  ManifestInvalidError,
  parseImageConfig,
  parseManifest,
  toManifestFacts,
  type ImageConfigFacts,
  type ParsedManifest,
} from '@wharf/oci';
import {
  BlobNotStoredError,
  IncompleteUnitError,
  InvalidManifestError,
  UnitTypeMismatchError,
  UnknownUnitError,
} from './content.errors.js';
import { ContentWriteGate } from './content-write.gate.js';
import { inBatches } from './index-batches.js';
import { RecentlyRecordedUnits } from './recently-recorded.units.js';

/** Image configs are small; a larger "config" is not read for its labels. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/**
 * The content catalog: records blobs and manifests (with their bytes in the blob store) and looks units up.
 *
 * Contract with sync and upload: store the bytes, record the unit (content.blob.record,
 * content.manifest.record), then add it to a version, all within orphan cleanup's protection time. A
 * recorded unit that no version holds is protected for that long after it was recorded (again), and no
 * longer. Record blobs before the manifests that use them: a manifest's labels are read from its config
 * blob when the manifest is first recorded, and a unit's facts never change afterwards.
 */
@Injectable()
export class ContentCatalogService {
  constructor(
    private readonly index: ContentIndex,
    private readonly blobs: BlobStore,
    private readonly gate: ContentWriteGate,
    private readonly recent: RecentlyRecordedUnits,
  ) {}

  /**
   * Stores a manifest's exact bytes under their own digest and records it under the digest clients pull it
   * by (see ManifestUnit.bytesDigest for signed schema 1, where the two differ).
   */
  async recordManifest(bytes: Uint8Array, mediaType: string | undefined, at: Date): Promise<CatalogUnit> {
    const parsed = parseOrRefuse(bytes, mediaType);
    return this.gate.shared(async () => {
      await this.blobs.put(Readable.from([bytes]), parsed.bytesDigest);
      return this.recordOnce(manifestKey(parsed.digest), at, async () => this.manifestUnit(parsed, at));
    });
  }

  /**
   * Records a blob whose bytes the blob store holds, with the size it holds them at; or, with `onDemand`, a
   * blob whose bytes are fetched from that source when first pulled (sync policy on_demand). Such a blob is
   * content like any other (versions, diffs and copies hold it); only the registry needs to know that its
   * bytes may still be upstream. Bytes already stored must still have the size given.
   */
  async recordBlob(digest: string, size: number, at: Date, onDemand?: OnDemandSource): Promise<CatalogUnit> {
    if (!isDigest(digest)) throw new BlobNotStoredError(String(digest), 'is not a digest');
    if (onDemand !== undefined) checkOnDemandSource(digest, size, onDemand);
    return this.gate.shared(async () => {
      const stored = await this.blobs.stat(digest);
      if (!stored && onDemand === undefined) throw new BlobNotStoredError(digest, 'is not in the blob store');
      if (stored && stored.size !== size) {
        throw new BlobNotStoredError(digest, `has ${stored.size} bytes in the blob store, not ${size}`);
      }
      return this.recordOnce(blobKey(digest), at, async () => ({
        key: blobKey(digest),
        type: 'blob',
        digest,
        size,
        references: [],
        createdAt: at.toISOString(),
        ...(onDemand !== undefined && {
          onDemand: { remoteId: onDemand.remoteId, upstreamName: onDemand.upstreamName },
        }),
      }));
    });
  }

  /**
   * Tags are recorded implicitly: a tag key names its manifest, so a tag of a known manifest is recorded
   * when it is first used. Tags of unknown manifests are left for `referenceClosure` to refuse.
   */
  async recordTags(keys: readonly UnitKey[], at: Date): Promise<void> {
    const tags = keys.filter((key) => unitTypeOf(key) === 'tag');
    if (tags.length === 0) return;
    const known = await this.knownKeys(tags);
    const unknown = tags.filter((key) => !known.has(key));
    const knownManifests = await this.knownKeys(unknown.map((key) => manifestKey(parseUnitKey(key).digest)));
    const units = unknown
      .map((key) => parseUnitKey(key))
      .filter((tag) => knownManifests.has(manifestKey(tag.digest)))
      .map((tag): CatalogUnit => ({
        key: tagKey(tag.name ?? '', tag.digest),
        type: 'tag',
        digest: tag.digest,
        name: tag.name,
        references: [manifestKey(tag.digest)],
        createdAt: at.toISOString(),
      }));
    if (units.length > 0) await this.index.recordUnits(units);
  }

  /**
   * The references of `keys` and of everything they reach, as a map from each reached key to what it
   * references. Every reached unit must be in the catalog: an unknown requested key, or a known unit
   * that needs an unknown one, is refused with an error naming it.
   *
   * Except for the manifests a list lists (ADR 0012): a list may be kept with only some of them, as a sync
   * whose platforms filter leaves some out keeps it (its bytes unchanged, so its digest still verifies). A
   * listed manifest the catalog does not know, or one in `leftOut`, is not followed and does not appear
   * among the list's references here; the list itself and every listed manifest that is followed stay
   * complete under the usual rule.
   */
  async referenceClosure(
    keys: readonly UnitKey[],
    leftOut: ReadonlySet<UnitKey> = new Set(),
  ): Promise<Map<UnitKey, readonly UnitKey[]>> {
    const references = new Map<UnitKey, readonly UnitKey[]>();
    const seen = new Set(keys);
    const neededBy = new Map<UnitKey, UnitKey>();
    const notFollowed = new Set<UnitKey>();
    let frontier = [...seen];
    while (frontier.length > 0) {
      const next: UnitKey[] = [];
      for (const batch of inBatches(frontier)) {
        const units = new Map((await this.index.getUnits(batch)).map((unit) => [unit.key, unit]));
        for (const key of batch) {
          const unit = units.get(key);
          const parent = neededBy.get(key);
          if (!unit && parent !== undefined && isListedManifest(parent, key)) {
            notFollowed.add(key);
            continue;
          }
          if (!unit) throw await this.unknownUnit(key, parent);
          references.set(key, unit.references);
          for (const reference of unit.references) {
            if (seen.has(reference)) continue;
            if (leftOut.has(reference) && isListedManifest(key, reference)) {
              notFollowed.add(reference);
              continue;
            }
            seen.add(reference);
            neededBy.set(reference, key);
            next.push(reference);
          }
        }
      }
      frontier = next;
    }
    if (notFollowed.size > 0) {
      for (const [key, to] of references) {
        if (to.some((reference) => notFollowed.has(reference) && !references.has(reference))) {
          references.set(
            key,
            to.filter((reference) => references.has(reference)),
          );
        }
      }
    }
    return references;
  }

  /** Refuses a manifest digest the catalog does not know as a manifest, naming what it is instead. */
  async requireManifest(digest: string, field: string): Promise<void> {
    if ((await this.index.getUnits([manifestKey(digest)])).length > 0) return;
    const others = await this.otherTypesOf(digest, 'manifest');
    if (others.length > 0) throw new UnitTypeMismatchError(digest, 'manifest', others, field);
    throw new UnknownUnitError(manifestKey(digest), field);
  }

  private async recordOnce(key: UnitKey, at: Date, build: () => Promise<CatalogUnit>): Promise<CatalogUnit> {
    const [existing] = await this.index.getUnits([key]);
    if (existing) {
      this.recent.note(key, at);
      return existing;
    }
    const unit = await build();
    await this.index.recordUnits([unit]);
    return unit;
  }

  private async manifestUnit(parsed: ParsedManifest, at: Date): Promise<ManifestUnit> {
    return {
      key: manifestKey(parsed.digest),
      type: 'manifest',
      digest: parsed.digest,
      size: parsed.size,
      references: [...parsed.blobDigests.map(blobKey), ...parsed.manifestDigests.map(manifestKey)],
      manifest: toManifestFacts(parsed, await this.imageConfigOf(parsed)),
      createdAt: at.toISOString(),
      bytesDigest: parsed.bytesDigest,
    };
  }

  /** The image config's facts when its blob is stored and readable; labels and platform live there. */
  private async imageConfigOf(parsed: ParsedManifest): Promise<ImageConfigFacts | undefined> {
    const config = parsed.config;
    if (!config || !isImageConfigMediaType(config.mediaType)) return undefined;
    const stored = await this.blobs.stat(config.digest);
    if (!stored || stored.size > MAX_CONFIG_BYTES) return undefined;
    const bytes = await readSmallBlob(this.blobs, config.digest);
    try {
      return parseImageConfig(bytes);
    } catch {
      // A config that is not JSON takes nothing from the manifest's validity; it just has no labels.
      return undefined;
    }
  }

  private async knownKeys(keys: readonly UnitKey[]): Promise<Set<UnitKey>> {
    const known = new Set<UnitKey>();
    for (const batch of inBatches(keys)) {
      for (const unit of await this.index.getUnits(batch)) known.add(unit.key);
    }
    return known;
  }

  private async unknownUnit(key: UnitKey, neededBy: UnitKey | undefined): Promise<Error> {
    if (neededBy !== undefined) return new IncompleteUnitError(neededBy, key);
    const { type, digest } = parseUnitKey(key);
    const expected: UnitType = type === 'tag' ? 'manifest' : type;
    const others = await this.otherTypesOf(digest, expected);
    if (others.length > 0) return new UnitTypeMismatchError(digest, expected, others);
    // A tag of an unknown manifest: name the manifest, which is what the caller must record first.
    if (type === 'tag' && (await this.index.getUnits([manifestKey(digest)])).length === 0) {
      return new UnknownUnitError(manifestKey(digest));
    }
    return new UnknownUnitError(key);
  }

  private async otherTypesOf(digest: string, expected: UnitType): Promise<UnitType[]> {
    const units = await this.index.findByDigest(digest);
    return [...new Set(units.map((unit) => unit.type))].filter((type) => type !== 'tag' && type !== expected);
  }
}

/** Only lists reference manifests: an edge from a manifest to a manifest is a listed manifest. */
function isListedManifest(from: UnitKey, to: UnitKey): boolean {
  return unitTypeOf(from) === 'manifest' && unitTypeOf(to) === 'manifest';
}

function checkOnDemandSource(digest: string, size: number, source: OnDemandSource): void {
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new BlobNotStoredError(digest, `cannot be recorded on demand with size ${String(size)}`);
  }
  if (typeof source.remoteId !== 'string' || source.remoteId === '') {
    throw new BlobNotStoredError(digest, 'cannot be recorded on demand without the remote to fetch it from');
  }
  if (typeof source.upstreamName !== 'string' || source.upstreamName === '') {
    throw new BlobNotStoredError(digest, 'cannot be recorded on demand without the upstream repository name');
  }
}

function parseOrRefuse(bytes: Uint8Array, mediaType: string | undefined): ParsedManifest {
  try {
    return parseManifest(bytes, mediaType);
  } catch (error) {
    if (error instanceof ManifestInvalidError) throw new InvalidManifestError(error.message);
    throw error;
  }
}
