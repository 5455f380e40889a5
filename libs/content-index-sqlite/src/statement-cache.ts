import type { Database, Statement } from 'better-sqlite3';

/**
 * Prepares each distinct SQL text once per connection. Listings build their SQL from optional filters, so
 * the same few shapes recur; preparing them again on every page would cost more than running them.
 */
export class StatementCache {
  private readonly statements = new Map<string, Statement>();

  constructor(readonly db: Database) {}

  get(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
