/** What a distribution serves: a repository's latest version, one repository version, or a publication. */
export type DistributionTarget =
  | { readonly kind: 'repository'; readonly repositoryId: string }
  | { readonly kind: 'repository_version'; readonly repositoryId: string; readonly version: number }
  | { readonly kind: 'publication'; readonly publicationId: string };

/** Every setting of a distribution, as its events record them (defaults applied). */
export interface DistributionSettings {
  readonly name: string;
  /** The OCI repository name clients pull by; never equal to, nor a path prefix of, another's. */
  readonly basePath: string;
  readonly target: DistributionTarget | null;
  readonly private: boolean;
  readonly hidden: boolean;
  readonly description: string | null;
  readonly pulpLabels: Readonly<Record<string, string>>;
}

export type SettingName = keyof DistributionSettings;

export const SETTING_NAMES: readonly SettingName[] = [
  'name',
  'basePath',
  'target',
  'private',
  'hidden',
  'description',
  'pulpLabels',
];

/** What the uniqueness rules need to know of the other distributions. */
export interface DistributionSummary {
  readonly distributionId: string;
  readonly name: string;
  readonly basePath: string;
}

/**
 * Whether two base paths overlap: equal, or one is a whole-component prefix of the other (`team` and
 * `team/app`, but not `team` and `teams`). A registry client asking for `team/app/x` could otherwise be
 * served by either distribution.
 */
export function basePathsOverlap(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

/** Structural equality of setting values (plain JSON data), label order ignored. */
export function sameSetting<K extends SettingName>(
  name: K,
  a: DistributionSettings[K],
  b: DistributionSettings[K],
): boolean {
  if (name === 'pulpLabels') return JSON.stringify(sortedEntries(a)) === JSON.stringify(sortedEntries(b));
  return JSON.stringify(a) === JSON.stringify(b);
}

function sortedEntries(value: unknown): [string, unknown][] {
  return Object.entries(value as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
}
