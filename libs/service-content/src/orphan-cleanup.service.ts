import { Injectable, Logger } from '@nestjs/common';
import {
  manifestBytesDigest,
  type CatalogUnit,
  type OrphanCleanupResult,
  type UnitType,
} from '@wharf/contracts';
import { BlobStore, ContentIndex } from '@wharf/ports';
import { InvalidQueryError } from './content.errors.js';
import { ContentWriteGate } from './content-write.gate.js';
import { RecentlyRecordedUnits } from './recently-recorded.units.js';

/** Orphans deleted per step; the gate is held exclusively for one step at a time. */
const BATCH = 500;

/**
 * Deletes catalog units that no live version of any repository holds and that were recorded before the
 * protection time, with their bytes in the blob store.
 *
 * Why this cannot take a unit a sync or upload is about to add: those record a unit (or record it again)
 * before adding it to a version, and a unit recorded within the protection time is kept (see
 * ContentCatalogService). And why it cannot take one a running change is adding: each step deletes while
 * holding the ContentWriteGate exclusively, and writers hold it from their check of the catalog until their
 * version is in the index, which the index's delete checks again.
 */
@Injectable()
export class OrphanCleanupService {
  private readonly logger = new Logger(OrphanCleanupService.name);

  constructor(
    private readonly index: ContentIndex,
    private readonly blobs: BlobStore,
    private readonly gate: ContentWriteGate,
    private readonly recent: RecentlyRecordedUnits,
  ) {}

  async cleanup(protectionTimeMs: number, now: Date): Promise<OrphanCleanupResult> {
    if (!Number.isFinite(protectionTimeMs) || protectionTimeMs < 0) {
      throw new InvalidQueryError('orphan_protection_time', 'Ensure this value is a duration of at least 0.');
    }
    const cutoff = new Date(now.getTime() - protectionTimeMs);
    const deleted: Record<UnitType, number> = { blob: 0, manifest: 0, tag: 0 };
    let blobsRemoved = 0;
    let afterKey: string | undefined;
    for (;;) {
      const orphans = await this.index.listOrphans(cutoff, BATCH, afterKey);
      if (orphans.length === 0) break;
      afterKey = orphans[orphans.length - 1]!.key;
      const gone = await this.gate.exclusive(async () => {
        const units = await this.deleteUnits(
          orphans.filter((unit) => !this.recent.recordedSince(unit.key, cutoff)),
        );
        blobsRemoved += await this.removeBytes(units);
        return units;
      });
      for (const unit of gone) deleted[unit.type]++;
      if (orphans.length < BATCH) break;
    }
    this.recent.forgetBefore(cutoff);
    this.logger.log(
      `orphan cleanup: deleted ${deleted.blob} blobs, ${deleted.manifest} manifests, ${deleted.tag} tags; ` +
        `removed ${blobsRemoved} objects from the blob store`,
    );
    return { deleted, blobsRemoved };
  }

  /** The units the index actually deleted: it keeps any that a version gained since they were listed. */
  private async deleteUnits(candidates: readonly CatalogUnit[]): Promise<CatalogUnit[]> {
    if (candidates.length === 0) return [];
    const deleted = new Set(await this.index.deleteUnits(candidates.map((unit) => unit.key)));
    return candidates.filter((unit) => deleted.has(unit.key));
  }

  private async removeBytes(units: readonly CatalogUnit[]): Promise<number> {
    const names = new Set(
      units.flatMap((unit) =>
        unit.type === 'blob' ? [unit.digest] : unit.type === 'manifest' ? [manifestBytesDigest(unit)] : [],
      ),
    );
    let removed = 0;
    for (const name of names) {
      if (await this.stillStoredFor(name)) continue;
      if (!(await this.blobs.stat(name))) continue;
      await this.blobs.delete(name);
      removed++;
    }
    return removed;
  }

  /**
   * Whether a remaining unit keeps its bytes under this name: the same bytes can be a blob and a manifest
   * (someone pushed a manifest as a blob), and each unit owns them as long as it exists.
   */
  private async stillStoredFor(name: string): Promise<boolean> {
    const units = await this.index.findByDigest(name);
    return units.some(
      (unit) => unit.type === 'blob' || (unit.type === 'manifest' && manifestBytesDigest(unit) === name),
    );
  }
}
