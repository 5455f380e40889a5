/** Tag names held across all cached versions; past this the least recently used versions are dropped. */
const DEFAULT_MAX_NAMES = 250_000;

/** A page of names in lexical order, and the `last` of the next page's request when more follow. */
export interface LexicalPage {
  readonly items: readonly string[];
  readonly last?: string;
}

/**
 * The tag names of repository versions in strict lexical (code-unit) order, as `tags/list` must list them.
 *
 * The content index keeps tags in unit-key order (`tag:<name>@<digest>`), which puts `1.0`, `1-rc` and `10`
 * before `1` since '.', '-' and digits sort before '@'. A version never changes, so its names are read once,
 * sorted, and kept: later pages of the same version cost a binary search and a slice. The cache is bounded by
 * the total number of names it holds, so memory stays flat however many versions are listed.
 */
export class VersionTagNamesCache {
  /** Insertion order is recency: a hit moves its entry to the end. */
  private readonly versions = new Map<string, Promise<readonly string[]>>();
  private readonly sizes = new Map<string, number>();
  private held = 0;

  constructor(private readonly maxNames = DEFAULT_MAX_NAMES) {}

  /** Up to `limit` names after `last` (exclusive) of the version `key`; `load` reads its names in any order. */
  async page(key: string, load: () => Promise<string[]>, limit: number, last?: string): Promise<LexicalPage> {
    const names = await this.names(key, load);
    const start = last === undefined ? 0 : firstAfter(names, last);
    const items = names.slice(start, start + limit);
    return start + limit < names.length ? { items, last: items.at(-1) } : { items };
  }

  private names(key: string, load: () => Promise<string[]>): Promise<readonly string[]> {
    const cached = this.versions.get(key);
    if (cached) {
      this.versions.delete(key);
      this.versions.set(key, cached);
      return cached;
    }
    const loading = load().then((names) => names.sort(byCodeUnits));
    this.versions.set(key, loading);
    loading.then(
      (names) => this.admit(key, loading, names.length),
      // A failed read is not remembered: the next request reads again.
      () => this.forget(key, loading),
    );
    return loading;
  }

  private admit(key: string, entry: Promise<readonly string[]>, size: number): void {
    if (this.versions.get(key) !== entry) return;
    this.sizes.set(key, size);
    this.held += size;
    for (const oldest of this.versions.keys()) {
      if (this.held <= this.maxNames || oldest === key) break;
      this.forget(oldest, this.versions.get(oldest)!);
    }
  }

  private forget(key: string, entry: Promise<readonly string[]>): void {
    if (this.versions.get(key) !== entry) return;
    this.versions.delete(key);
    this.held -= this.sizes.get(key) ?? 0;
    this.sizes.delete(key);
  }
}

/** Plain `<` on strings compares UTF-16 code units: byte order for the ASCII of tag names. */
function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Index of the first name greater than `last` (names sorted by code units). */
function firstAfter(names: readonly string[], last: string): number {
  let low = 0;
  let high = names.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (names[middle]! <= last) low = middle + 1;
    else high = middle;
  }
  return low;
}
