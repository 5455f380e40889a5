/**
 * A remote's include_tags / exclude_tags: glob patterns where `*` is any run of characters and `?` exactly
 * one. A tag is synced when it matches an include pattern (or there is no include list) and no exclude
 * pattern.
 */
export class TagFilter {
  private readonly include: readonly RegExp[] | null;
  private readonly exclude: readonly RegExp[];

  constructor(include: readonly string[] | null, exclude: readonly string[] | null) {
    this.include = include === null ? null : include.map(globToRegExp);
    this.exclude = (exclude ?? []).map(globToRegExp);
  }

  accepts(tag: string): boolean {
    if (this.include !== null && !this.include.some((pattern) => pattern.test(tag))) return false;
    return !this.exclude.some((pattern) => pattern.test(tag));
  }
}

function globToRegExp(glob: string): RegExp {
  const body = [...glob]
    .map((char) => {
      if (char === '*') return '.*';
      if (char === '?') return '.';
      return char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${body}$`);
}
