import type { UnitKey, UnitType } from '@wharf/contracts';
import { unitKeyRange, type VersionMembership } from '@wharf/ports';

/** A WHERE clause built from optional filters, with its positional parameters in order. */
export class Conditions {
  private readonly clauses: string[] = [];
  readonly params: unknown[] = [];

  add(clause: string, ...params: unknown[]): this {
    this.clauses.push(clause);
    this.params.push(...params);
    return this;
  }

  /** Keys after `afterKey` and, with a type, inside that type's key range. */
  keyWindow(column: string, afterKey: UnitKey | undefined, type: UnitType | undefined): this {
    if (afterKey !== undefined) this.add(`${column} > ?`, afterKey);
    if (type !== undefined) {
      const range = unitKeyRange(type);
      this.add(`${column} >= ? AND ${column} < ?`, range.from, range.to);
    }
    return this;
  }

  toSql(): string {
    return this.clauses.length ? `WHERE ${this.clauses.join(' AND ')}` : '';
  }
}

/** A live version that reads address, resolved to the repository's row id. */
export interface ResolvedVersion {
  readonly repositoryId: number;
  readonly version: number;
  /** The repository's last applied version: its open rows are exactly this version's content. */
  readonly latest: boolean;
}

/**
 * Restricts repository_content rows (under `alias`) to those of one membership of a version. Each form
 * matches the leading columns of one index (see sqlite-schema.ts), which is what keeps pages O(page).
 */
export function addMembership(
  conditions: Conditions,
  alias: string,
  at: ResolvedVersion,
  membership: VersionMembership,
): Conditions {
  conditions.add(`${alias}.repository_id = ?`, at.repositoryId);
  switch (membership) {
    case 'added':
      return conditions.add(`${alias}.added_in = ?`, at.version);
    case 'removed':
      return conditions.add(`${alias}.removed_in = ?`, at.version);
    case 'present':
      return at.latest
        ? conditions.add(`${alias}.removed_in IS NULL`)
        : conditions.add(
            `${alias}.added_in <= ? AND (${alias}.removed_in IS NULL OR ${alias}.removed_in > ?)`,
            at.version,
            at.version,
          );
  }
}
