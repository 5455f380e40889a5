import type { Database } from 'better-sqlite3';

/**
 * Tables and the reads each index serves (every listing pages by key, so each index ends in the key to
 * return a page in key order by reading only that page):
 *
 *   repositories          name → id (rows store the integer, not the name) and the last applied version
 *   repository_versions   the live versions, each with its unit counts (countSummary is one lookup;
 *                         "next live version" for a squash is one seek on the primary key)
 *   repository_content    one row per stretch of versions a unit stays in a repository
 *     primary key (repository_id, unit_key, added_in)
 *                         present(v) of an older version: a key-ordered walk that skips rows outside v;
 *                         presentAmong / tags by name in an older version: one seek per key or name
 *     _removed (repository_id, removed_in, unit_key)
 *                         removed(v) pages, counts and squashes in O(changes); and with removed_in IS NULL
 *                         present(latest) pages in exactly O(page), because a version is applied in one
 *                         transaction, so the open rows always are the latest version
 *     _added (repository_id, added_in, unit_key)      added(v) pages, counts and squashes, O(changes)
 *     _latest (repository_id, unit_key) WHERE removed_in IS NULL, unique
 *                         at most one open row per key: adding a key that is already present is a no-op
 *     _unit (unit_key)                                "is this unit in any repository?" for orphans
 *   units                 the catalog; `unit` is the CatalogUnit as JSON, the other columns are filters
 *     units_digest, units_media_type   filtered listings in key order (a tag name is a key range)
 *   unit_references       from → to; the primary key answers referencesOf, _to answers referrers
 *
 * Type filters need no index of their own: a key starts with its type, so one type's keys form one range
 * of every index above that ends in the key.
 */
export function createSchema(db: Database): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS repositories (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      last_applied INTEGER NOT NULL
    );

    CREATE TABLE IF NOT EXISTS repository_versions (
      repository_id INTEGER NOT NULL,
      version INTEGER NOT NULL,
      summary TEXT NOT NULL,
      PRIMARY KEY (repository_id, version)
    ) WITHOUT ROWID;

    CREATE TABLE IF NOT EXISTS repository_content (
      repository_id INTEGER NOT NULL,
      unit_key TEXT NOT NULL,
      added_in INTEGER NOT NULL,
      removed_in INTEGER,
      PRIMARY KEY (repository_id, unit_key, added_in)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS repository_content_removed
      ON repository_content (repository_id, removed_in, unit_key);
    CREATE INDEX IF NOT EXISTS repository_content_added ON repository_content (repository_id, added_in, unit_key);
    CREATE UNIQUE INDEX IF NOT EXISTS repository_content_latest
      ON repository_content (repository_id, unit_key) WHERE removed_in IS NULL;
    CREATE INDEX IF NOT EXISTS repository_content_unit ON repository_content (unit_key);

    CREATE TABLE IF NOT EXISTS units (
      unit_key TEXT PRIMARY KEY,
      digest TEXT NOT NULL,
      media_type TEXT,
      created_at INTEGER NOT NULL,
      unit TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS units_digest ON units (digest, unit_key);
    CREATE INDEX IF NOT EXISTS units_media_type ON units (media_type, unit_key) WHERE media_type IS NOT NULL;

    CREATE TABLE IF NOT EXISTS unit_references (
      from_key TEXT NOT NULL,
      to_key TEXT NOT NULL,
      PRIMARY KEY (from_key, to_key)
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS unit_references_to ON unit_references (to_key, from_key);
  `);
}
