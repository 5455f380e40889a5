import type { UnitKey } from '@wharf/contracts';
import type { ContentIndex } from '@wharf/ports';

/** Keys per read-model lookup, so that a 200,000-unit copy is a series of small queries. */
export const LOOKUP_BATCH = 2_000;

export function* inBatches<T>(items: readonly T[], size = LOOKUP_BATCH): Iterable<T[]> {
  for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
}

export async function presentAmongInBatches(
  index: ContentIndex,
  repositoryId: string,
  version: number,
  keys: readonly UnitKey[],
): Promise<UnitKey[]> {
  const present: UnitKey[] = [];
  for (const batch of inBatches(keys)) {
    present.push(...(await index.presentAmong(repositoryId, version, batch)));
  }
  return present;
}
