import type { CatalogUnit } from '@wharf/contracts';

/** Lookups kept at most; past this the least recently used are dropped. */
const DEFAULT_MAX_ENTRIES = 20_000;
/** How long a lookup is trusted: bounds how long a deleted version's content stays reachable through it. */
const DEFAULT_TTL_MS = 30_000;

/**
 * Units found in a repository version, by (repository, version, lookup). A version's content never changes
 * and units are immutable, so a unit found once stays the right answer for that version; only misses are
 * never kept (they are rare on the pull path and must see nothing new). Entries still expire, so a version
 * deleted by retention stops answering within the TTL. This takes two of the three content queries off a
 * repeated manifest GET; the third, which version a following distribution serves, is asked every time.
 */
export class VersionUnitsCache {
  /** Insertion order is recency: a hit moves its entry to the end. */
  private readonly entries = new Map<string, { unit: CatalogUnit; until: number }>();

  constructor(
    private readonly maxEntries = DEFAULT_MAX_ENTRIES,
    private readonly ttlMs = DEFAULT_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  async find(key: string, look: () => Promise<CatalogUnit | undefined>): Promise<CatalogUnit | undefined> {
    const entry = this.entries.get(key);
    this.entries.delete(key);
    if (entry && entry.until > this.now()) {
      this.entries.set(key, entry);
      return entry.unit;
    }
    const unit = await look();
    if (unit) this.keep(key, unit);
    return unit;
  }

  private keep(key: string, unit: CatalogUnit): void {
    this.entries.set(key, { unit, until: this.now() + this.ttlMs });
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) break;
      this.entries.delete(oldest);
    }
  }
}
