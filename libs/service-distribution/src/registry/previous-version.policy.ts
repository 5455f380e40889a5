import type { LatestPublications } from '@wharf/contracts';

/**
 * How long, after a distribution following a repository moves on, the version it served before stays
 * reachable by digest: a client that read a manifest list or a manifest just before the move fetches what it
 * lists from the version it read, so a pull sees the old version or the new one, never a mix. Long enough for
 * a slow pull of large layers to begin every blob.
 */
export const PREVIOUS_VERSION_GRACE_MS = 15 * 60_000;

/**
 * The version a following distribution served before `served` (its repository's latest), judged from the
 * repository's automatic publications: while the publication of `served` is still being made, the latest
 * publication's version; for the grace period after it was made, the publication before it; else none.
 */
export function previousServedVersion(
  served: number,
  { publication, previous }: LatestPublications,
  now: Date,
): number | undefined {
  if (!publication) return undefined;
  if (publication.repositoryVersion < served) return publication.repositoryVersion;
  if (publication.repositoryVersion > served || !previous) return undefined;
  const movedAgo = now.getTime() - Date.parse(publication.createdAt);
  return movedAgo < PREVIOUS_VERSION_GRACE_MS ? previous.repositoryVersion : undefined;
}
