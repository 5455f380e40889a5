import { describe, expect, it } from 'vitest';
import type { PublicationView } from '@wharf/contracts';
import { PREVIOUS_VERSION_GRACE_MS, previousServedVersion } from './previous-version.policy.js';

const now = new Date('2026-12-04T12:00:00Z');
const publicationOf = (repositoryVersion: number, msAgo: number): PublicationView => ({
  id: `p${repositoryVersion}`,
  repositoryId: 'r',
  repositoryVersion,
  createdAt: new Date(now.getTime() - msAgo).toISOString(),
});

describe('the version a following distribution served before', () => {
  it('is the latest publication’s while the served version’s publication is being made', () => {
    const latest = { publication: publicationOf(4, 3_600_000), previous: publicationOf(3, 7_200_000) };
    expect(previousServedVersion(5, latest, now)).toBe(4);
  });

  it('is the publication before the latest for the grace period after the latest was made', () => {
    const justMoved = { publication: publicationOf(5, 1_000), previous: publicationOf(3, 3_600_000) };
    expect(previousServedVersion(5, justMoved, now)).toBe(3);
    const longAgo = {
      publication: publicationOf(5, PREVIOUS_VERSION_GRACE_MS),
      previous: publicationOf(3, 0),
    };
    expect(previousServedVersion(5, longAgo, now)).toBeUndefined();
  });

  it('is none without publications, or with only one', () => {
    expect(previousServedVersion(5, { publication: null, previous: null }, now)).toBeUndefined();
    expect(
      previousServedVersion(5, { publication: publicationOf(5, 0), previous: null }, now),
    ).toBeUndefined();
  });
});
