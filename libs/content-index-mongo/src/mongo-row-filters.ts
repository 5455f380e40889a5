import type { Filter } from 'mongodb';
import type { UnitKey, UnitType } from '@wharf/contracts';
import { unitKeyRange, type KeyRange, type VersionMembership } from '@wharf/ports';
import { ROWS_BY_ADDITION, ROWS_BY_KEY, ROWS_BY_REMOVAL, type RowDocument } from './mongo-documents.js';

/** A live version that reads address. */
export interface ResolvedVersion {
  readonly repository: string;
  readonly version: number;
  /** The repository's last applied version, read through ROWS_BY_REMOVAL rather than a walk of all rows. */
  readonly latest: boolean;
}

/** A query on rows together with the index that answers it in key order (see mongo-documents.ts). */
export interface RowQuery {
  readonly filter: Filter<RowDocument>;
  readonly hint: Readonly<Record<string, 1>>;
}

/** The rows of one membership of a version. */
export function membershipQuery(at: ResolvedVersion, membership: VersionMembership): RowQuery {
  const { repository, version } = at;
  switch (membership) {
    case 'added':
      return { filter: { repository, addedIn: version }, hint: ROWS_BY_ADDITION };
    case 'removed':
      return { filter: { repository, removedIn: version }, hint: ROWS_BY_REMOVAL };
    case 'present':
      // A version being applied now may already have closed some rows (removedIn = latest + 1) that the
      // latest version still holds; its new rows start after the latest version and are filtered out.
      return at.latest
        ? {
            filter: { repository, removedIn: { $in: [null, version + 1] }, addedIn: { $lte: version } },
            hint: ROWS_BY_REMOVAL,
          }
        : {
            filter: {
              repository,
              addedIn: { $lte: version },
              $or: [{ removedIn: null }, { removedIn: { $gt: version } }],
            },
            hint: ROWS_BY_KEY,
          };
  }
}

/** Adds conditions on the key (all must hold) to a query. */
export function withKeyConditions(query: RowQuery, conditions: readonly Filter<RowDocument>[]): RowQuery {
  return conditions.length ? { ...query, filter: { $and: [query.filter, ...conditions] } } : query;
}

/** Key conditions for a page: after `afterKey`, inside the type's range, inside an extra range. */
export function keyWindow(
  field: string,
  afterKey: UnitKey | undefined,
  type: UnitType | undefined,
  range?: KeyRange,
): Record<string, unknown>[] {
  const conditions: Record<string, unknown>[] = [];
  if (afterKey !== undefined) conditions.push({ [field]: { $gt: afterKey } });
  for (const bounds of [type && unitKeyRange(type), range]) {
    if (bounds) conditions.push({ [field]: { $gte: bounds.from, $lt: bounds.to } });
  }
  return conditions;
}
