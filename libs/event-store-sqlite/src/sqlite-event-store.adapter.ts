import Database from 'better-sqlite3';
import { PollingSubscription } from '@wharf/ports/adapter-kit';
import {
  EventStore,
  WrongExpectedVersionError,
  type AppendResult,
  type EventSubscription,
  type ExpectedVersion,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type StoredEvent,
} from '@wharf/ports';

export interface SqliteEventStoreOptions {
  /** Database file (its directory must exist), or ':memory:'. */
  readonly path: string;
  /** How often subscriptions look for appends made by other processes; default 100 ms. */
  readonly pollIntervalMs?: number;
}

/**
 * Rows read per query by readStream, readAll pages of subscriptions included. A chunk event of a large
 * repository version holds about half a megabyte, so this bounds a reader's memory to some 16 MB.
 */
const PAGE_SIZE = 32;

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    global_position INTEGER PRIMARY KEY AUTOINCREMENT,
    stream TEXT NOT NULL,
    position INTEGER NOT NULL,
    id TEXT NOT NULL,
    type TEXT NOT NULL,
    data TEXT NOT NULL,
    metadata TEXT,
    recorded_at INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX IF NOT EXISTS events_stream_position ON events (stream, position);
  CREATE TABLE IF NOT EXISTS checkpoints (
    reader TEXT PRIMARY KEY,
    global_position INTEGER NOT NULL
  );
`;

interface EventRow {
  readonly global_position: number;
  readonly stream: string;
  readonly position: number;
  readonly id: string;
  readonly type: string;
  readonly data: string;
  readonly metadata: string | null;
  readonly recorded_at: number;
}

interface StreamHead {
  readonly position: number;
  readonly global_position: number;
}

/**
 * The embedded EventStore: one SQLite file in WAL mode, shared safely by several processes.
 *
 * Global positions are the table's AUTOINCREMENT row ids. SQLite admits one writer at a time and an append
 * is one transaction, so rows become visible in global-position order and readers never meet a gap that
 * could still fill. `synchronous=NORMAL` may lose the last transactions on power loss (never on a process
 * crash) but never corrupts the file; that is the usual trade for WAL.
 */
export class SqliteEventStore extends EventStore {
  private readonly db: Database.Database;
  private readonly statements: ReturnType<typeof prepareStatements>;
  private readonly appendInTransaction: Database.Transaction<
    (stream: string, events: readonly NewEvent[], expected: ExpectedVersion) => AppendResult
  >;
  private readonly subscriptions = new Set<PollingSubscription>();
  private readonly pollIntervalMs: number;

  constructor(private readonly options: SqliteEventStoreOptions) {
    super();
    this.pollIntervalMs = options.pollIntervalMs ?? 100;
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(SCHEMA);
    this.statements = prepareStatements(this.db);
    this.appendInTransaction = this.db.transaction((stream, events, expected) =>
      this.appendUnchecked(stream, events, expected),
    );
  }

  async append(
    stream: string,
    events: readonly NewEvent[],
    expected: ExpectedVersion,
  ): Promise<AppendResult> {
    assertExpectedVersion(stream, expected);
    // IMMEDIATE takes the write lock before the version is read, so no other process can append in between.
    const result = this.appendInTransaction.immediate(stream, events, expected);
    if (events.length > 0) for (const subscription of this.subscriptions) subscription.notify();
    return result;
  }

  async *readStream(stream: string, options: ReadStreamOptions = {}): AsyncIterable<StoredEvent> {
    const lastPosition = options.toPosition ?? Number.MAX_SAFE_INTEGER;
    let remaining = options.limit ?? Number.POSITIVE_INFINITY;
    let nextPosition = options.fromPosition ?? 1;
    while (remaining > 0 && nextPosition <= lastPosition) {
      const pageSize = Math.min(PAGE_SIZE, remaining);
      const rows = this.statements.readStreamPage.all(stream, nextPosition, lastPosition, pageSize);
      for (const row of rows) yield toStoredEvent(row);
      if (rows.length < pageSize) return;
      nextPosition = rows[rows.length - 1].position + 1;
      remaining -= rows.length;
    }
  }

  async streamVersion(stream: string): Promise<number> {
    return this.statements.streamHead.get(stream)?.position ?? 0;
  }

  async readAll(options: ReadAllOptions): Promise<StoredEvent[]> {
    assertPageLimit(options.limit);
    return this.statements.readAllPage.all(options.after, options.limit).map(toStoredEvent);
  }

  subscribe(
    after: number,
    handler: (event: StoredEvent) => Promise<void>,
    onError?: (error: unknown) => void,
  ): EventSubscription {
    const subscription: PollingSubscription = new PollingSubscription({
      after,
      handler,
      onError,
      readPage: (from, limit) => this.readAll({ after: from, limit }),
      pageSize: PAGE_SIZE,
      pollIntervalMs: this.pollIntervalMs,
      onStopped: () => this.subscriptions.delete(subscription),
    });
    this.subscriptions.add(subscription);
    return subscription;
  }

  async loadCheckpoint(reader: string): Promise<number> {
    return this.statements.loadCheckpoint.get(reader)?.global_position ?? 0;
  }

  async saveCheckpoint(reader: string, globalPosition: number): Promise<void> {
    this.statements.saveCheckpoint.run(reader, globalPosition);
  }

  async ping(): Promise<void> {
    this.statements.ping.get();
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    if (this.db.open) this.db.close();
  }

  override toString(): string {
    return `SqliteEventStore(${this.options.path})`;
  }

  /** Runs inside the append transaction. */
  private appendUnchecked(
    stream: string,
    events: readonly NewEvent[],
    expected: ExpectedVersion,
  ): AppendResult {
    const head = this.statements.streamHead.get(stream);
    const version = head?.position ?? 0;
    if (expected !== 'any' && expected !== version) {
      throw new WrongExpectedVersionError(stream, expected, version);
    }
    let lastGlobalPosition = head?.global_position ?? 0;
    const recordedAt = Date.now();
    events.forEach((event, index) => {
      const inserted = this.statements.insertEvent.run(
        stream,
        version + index + 1,
        event.id,
        event.type,
        serializeData(stream, event),
        event.metadata === undefined ? null : JSON.stringify(event.metadata),
        recordedAt,
      );
      lastGlobalPosition = Number(inserted.lastInsertRowid);
    });
    return { nextExpectedVersion: version + events.length, lastGlobalPosition };
  }
}

function prepareStatements(db: Database.Database) {
  const columns = 'global_position, stream, position, id, type, data, metadata, recorded_at';
  return {
    insertEvent: db.prepare<[string, number, string, string, string, string | null, number]>(
      `INSERT INTO events (stream, position, id, type, data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    streamHead: db.prepare<[string], StreamHead>(
      `SELECT position, global_position FROM events WHERE stream = ? ORDER BY position DESC LIMIT 1`,
    ),
    readStreamPage: db.prepare<[string, number, number, number], EventRow>(
      `SELECT ${columns} FROM events WHERE stream = ? AND position BETWEEN ? AND ? ORDER BY position LIMIT ?`,
    ),
    readAllPage: db.prepare<[number, number], EventRow>(
      `SELECT ${columns} FROM events WHERE global_position > ? ORDER BY global_position LIMIT ?`,
    ),
    loadCheckpoint: db.prepare<[string], { global_position: number }>(
      `SELECT global_position FROM checkpoints WHERE reader = ?`,
    ),
    saveCheckpoint: db.prepare<[string, number]>(
      `INSERT INTO checkpoints (reader, global_position) VALUES (?, ?)
       ON CONFLICT (reader) DO UPDATE SET global_position = excluded.global_position`,
    ),
    ping: db.prepare(`SELECT 1`),
  };
}

function toStoredEvent(row: EventRow): StoredEvent {
  return {
    id: row.id,
    type: row.type,
    stream: row.stream,
    position: row.position,
    globalPosition: row.global_position,
    recordedAt: new Date(row.recorded_at),
    data: JSON.parse(row.data) as unknown,
    ...(row.metadata === null ? {} : { metadata: JSON.parse(row.metadata) as Record<string, string> }),
  };
}

function serializeData(stream: string, event: NewEvent): string {
  const json = JSON.stringify(event.data) as string | undefined;
  if (json === undefined) {
    throw new TypeError(`event ${event.id} (${event.type}) for stream ${stream}: data is not a JSON value`);
  }
  return json;
}

function assertExpectedVersion(stream: string, expected: ExpectedVersion): void {
  if (expected !== 'any' && !(Number.isSafeInteger(expected) && expected >= 0)) {
    throw new RangeError(
      `stream ${stream}: expected version ${expected} is neither 'any' nor a version >= 0`,
    );
  }
}

function assertPageLimit(limit: number): void {
  if (!(Number.isSafeInteger(limit) && limit > 0)) {
    throw new RangeError(`readAll: limit ${limit} is not a positive integer`);
  }
}
