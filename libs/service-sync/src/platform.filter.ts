import type { Platform, PlatformFilter } from '@wharf/contracts';

/** Whether a listed manifest's platform is one the remote keeps; entries without a platform always are. */
export function isPlatformKept(
  platform: Platform | undefined,
  kept: readonly PlatformFilter[] | null,
): boolean {
  if (kept === null || platform === undefined) return true;
  return kept.some(
    (filter) =>
      filter.os === platform.os &&
      filter.architecture === platform.architecture &&
      (filter.variant === undefined || filter.variant === platform.variant),
  );
}

export function describePlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter((part) => part).join('/');
}
