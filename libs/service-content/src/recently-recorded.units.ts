import { Injectable } from '@nestjs/common';
import type { UnitKey } from '@wharf/contracts';

/**
 * Units recorded again after the catalog already had them. The catalog keeps a unit's first `createdAt`, so
 * to orphan cleanup a unit that a sync records again looks as old as when it was first seen; remembering
 * the new record here extends the protection window to it, so the sync can still add it to its version.
 * In memory: the content service is the only writer of versions and the only one that runs cleanup.
 */
@Injectable()
export class RecentlyRecordedUnits {
  private readonly recordedAt = new Map<UnitKey, number>();

  note(key: UnitKey, at: Date): void {
    this.recordedAt.set(key, at.getTime());
  }

  recordedSince(key: UnitKey, cutoff: Date): boolean {
    return (this.recordedAt.get(key) ?? Number.NEGATIVE_INFINITY) >= cutoff.getTime();
  }

  /** Drops what a cleanup with this cutoff no longer protects, so the map holds only the latest window. */
  forgetBefore(cutoff: Date): void {
    for (const [key, at] of this.recordedAt) if (at < cutoff.getTime()) this.recordedAt.delete(key);
  }
}
