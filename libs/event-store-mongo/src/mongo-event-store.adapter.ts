import { MongoBulkWriteError, MongoClient, MongoServerError, type Collection, type Db } from 'mongodb';
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
import { GlobalOrderGate, type AbandonedPositions } from './global-order.gate.js';

export interface MongoEventStoreOptions {
  readonly url: string;
  readonly database: string;
  /**
   * How long a reserved global position, or an unfinished batch at a stream's end, may stay unfinished
   * before readers and writers take its writer to have crashed; default 5,000 ms.
   */
  readonly gapTimeoutMs?: number;
  /** How often subscriptions look for appends made by other processes; default 200 ms. */
  readonly pollIntervalMs?: number;
}

/** One event. `data` and `metadata` are JSON text: see the class comment. */
interface EventDocument {
  readonly stream: string;
  readonly position: number;
  readonly globalPosition: number;
  /** The position of the last event of the append this event came with. */
  readonly batchEnd: number;
  readonly id: string;
  readonly type: string;
  readonly data: string;
  readonly metadata?: string;
  readonly recordedAt: Date;
}

interface CounterDocument {
  readonly _id: string;
  readonly last: number;
}

interface CheckpointDocument {
  readonly _id: string;
  readonly globalPosition: number;
}

/** Global positions `_id..to` that were reserved but will never be filled. */
interface AbandonedRangeDocument {
  readonly _id: number;
  readonly to: number;
}

const STREAM_POSITION_INDEX = 'stream_position';
const GLOBAL_POSITION_COUNTER = 'globalPosition';
const DUPLICATE_KEY = 11000;
/** Events per round trip when streaming; a chunk event of a large repository version is ~0.5 MB. */
const PAGE_SIZE = 32;
/** Lost races an 'any' append retries before giving up: each lost race means another writer progressed. */
const ANY_APPEND_ATTEMPTS = 20;

/**
 * The production EventStore: one MongoDB document per event, no multi-document transactions.
 *
 * - Expected versions: an append inserts positions expected+1... in order; the unique (stream, position)
 *   index makes the insert of expected+1 fail when another writer got there first, which becomes
 *   WrongExpectedVersionError. Each event records where its batch ends (`batchEnd`); a writer that finds
 *   a stream ending in a batch still being written is refused (a numbered expected version) or waits
 *   ('any'), so two batches never interleave. A batch left unfinished for `gapTimeoutMs` counts as the
 *   prefix a crashed writer left behind, which the port allows, and the stream goes on after it.
 * - Global order: an append reserves a range of global positions from a counter document (`$inc`) and
 *   then inserts, so a higher position can become visible before a lower one. readAll and subscribe
 *   return events only up to the first gap that may still fill (see GlobalOrderGate): a gap is passed
 *   when the writer that lost a race recorded its range as abandoned, or after it stayed unfilled for
 *   `gapTimeoutMs`. A writer slower than that between reserving and inserting would have its events missed
 *   by readers already past them, so the timeout must exceed the longest append (a 20 MB batch is well
 *   under a second on a healthy server).
 * - `data` and `metadata` are stored as JSON text rather than as BSON: OCI annotations have keys with dots
 *   and dollars, and readers get back exactly what JSON would give them, as with every other adapter.
 * - Clocks: the in-flight batch check compares this host's clock with the writer's `recordedAt`.
 */
export class MongoEventStore extends EventStore {
  private readonly events: Collection<EventDocument>;
  private readonly counters: Collection<CounterDocument>;
  private readonly checkpoints: Collection<CheckpointDocument>;
  private readonly abandonedRanges: Collection<AbandonedRangeDocument>;
  private readonly gate: GlobalOrderGate;
  private readonly subscriptions = new Set<PollingSubscription>();
  private readonly gapTimeoutMs: number;
  private readonly pollIntervalMs: number;
  private closed = false;

  /** Connects and creates the indexes and the global position counter when they do not exist. */
  static async connect(options: MongoEventStoreOptions): Promise<MongoEventStore> {
    const client = new MongoClient(options.url);
    await client.connect();
    try {
      const store = new MongoEventStore(client, client.db(options.database), options);
      await store.prepare();
      return store;
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  private constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    options: MongoEventStoreOptions,
  ) {
    super();
    this.gapTimeoutMs = options.gapTimeoutMs ?? 5_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 200;
    this.events = db.collection<EventDocument>('events');
    this.counters = db.collection<CounterDocument>('counters');
    this.checkpoints = db.collection<CheckpointDocument>('checkpoints');
    this.abandonedRanges = db.collection<AbandonedRangeDocument>('abandonedGlobalPositions');
    this.gate = new GlobalOrderGate({
      gapTimeoutMs: this.gapTimeoutMs,
      abandoned: this.abandonedPositions(),
    });
  }

  async append(
    stream: string,
    events: readonly NewEvent[],
    expected: ExpectedVersion,
  ): Promise<AppendResult> {
    assertExpectedVersion(stream, expected);
    let racesLost = 0;
    for (;;) {
      const head = await this.streamHead(stream);
      if (expected !== 'any' && (expected !== head.version || head.unfinishedBatchEnd !== undefined)) {
        throw new WrongExpectedVersionError(stream, expected, versionIncludingUnfinished(head));
      }
      if (head.unfinishedBatchEnd !== undefined) {
        // Another writer is still inserting its batch; it finishes or counts as crashed within gapTimeoutMs.
        await pause(20);
        continue;
      }
      if (events.length === 0) {
        return { nextExpectedVersion: head.version, lastGlobalPosition: head.globalPosition };
      }
      const result = await this.insertAfter(stream, head.version, events);
      if (result) return result;
      if (expected !== 'any') {
        throw new WrongExpectedVersionError(
          stream,
          expected,
          versionIncludingUnfinished(await this.streamHead(stream)),
        );
      }
      if (++racesLost === ANY_APPEND_ATTEMPTS) {
        throw new Error(
          `stream ${stream}: an 'any' append lost ${racesLost} races for the end of the stream`,
        );
      }
      await pause(Math.random() * 10);
    }
  }

  async *readStream(stream: string, options: ReadStreamOptions = {}): AsyncIterable<StoredEvent> {
    if (options.limit === 0) return;
    const position = { $gte: options.fromPosition ?? 1, $lte: options.toPosition ?? Number.MAX_SAFE_INTEGER };
    const cursor = this.events.find(
      { stream, position },
      {
        sort: { position: 1 },
        batchSize: PAGE_SIZE,
        ...(options.limit === undefined ? {} : { limit: options.limit }),
      },
    );
    for await (const document of cursor) yield toStoredEvent(document);
  }

  async streamVersion(stream: string): Promise<number> {
    return (await this.streamHead(stream)).version;
  }

  async readAll(options: ReadAllOptions): Promise<StoredEvent[]> {
    assertPageLimit(options.limit);
    const candidates = await this.events
      .find({ globalPosition: { $gt: options.after } }, { sort: { globalPosition: 1 }, limit: options.limit })
      .toArray();
    return (await this.gate.admit(options.after, candidates)).map(toStoredEvent);
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
    return (await this.checkpoints.findOne({ _id: reader }))?.globalPosition ?? 0;
  }

  async saveCheckpoint(reader: string, globalPosition: number): Promise<void> {
    await this.checkpoints.updateOne({ _id: reader }, { $set: { globalPosition } }, { upsert: true });
  }

  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    await this.client.close();
  }

  override toString(): string {
    return `MongoEventStore(${this.db.databaseName})`;
  }

  private async prepare(): Promise<void> {
    await this.events.createIndexes([
      { key: { stream: 1, position: 1 }, name: STREAM_POSITION_INDEX, unique: true },
      { key: { globalPosition: 1 }, name: 'global_position', unique: true },
    ]);
    try {
      await this.counters.updateOne(
        { _id: GLOBAL_POSITION_COUNTER },
        { $setOnInsert: { last: 0 } },
        { upsert: true },
      );
    } catch (error) {
      // Another process created the counter at the same moment.
      if (!(error instanceof MongoServerError && error.code === DUPLICATE_KEY)) throw error;
    }
  }

  /**
   * Inserts `events` at positions version+1...; undefined when another writer had already taken
   * version+1. Reserved positions that stay empty are recorded as abandoned, so readers need not wait.
   */
  private async insertAfter(
    stream: string,
    version: number,
    events: readonly NewEvent[],
  ): Promise<AppendResult | undefined> {
    const lastGlobalPosition = await this.reserveGlobalPositions(events.length);
    const firstGlobalPosition = lastGlobalPosition - events.length + 1;
    const recordedAt = new Date();
    const batchEnd = version + events.length;
    const documents = events.map((event, index): EventDocument => ({
      stream,
      position: version + index + 1,
      globalPosition: firstGlobalPosition + index,
      batchEnd,
      id: event.id,
      type: event.type,
      data: serializeData(stream, event),
      ...(event.metadata === undefined ? {} : { metadata: JSON.stringify(event.metadata) }),
      recordedAt,
    }));
    try {
      await this.events.insertMany(documents, { ordered: true });
      for (const subscription of this.subscriptions) subscription.notify();
      return { nextExpectedVersion: batchEnd, lastGlobalPosition };
    } catch (error) {
      const inserted = insertedBeforePositionCollision(error);
      if (inserted === undefined) throw error;
      await this.abandonedPositions().recordAbandoned(firstGlobalPosition + inserted, lastGlobalPosition);
      if (inserted === 0) return undefined;
      throw new Error(
        `stream ${stream}: another writer appended at position ${version + inserted + 1} while this append ` +
          `was writing; the first ${inserted} of its ${events.length} events were stored`,
        { cause: error },
      );
    }
  }

  /** Reserves `count` global positions and returns the last of them. */
  private async reserveGlobalPositions(count: number): Promise<number> {
    const counter = await this.counters.findOneAndUpdate(
      { _id: GLOBAL_POSITION_COUNTER },
      { $inc: { last: count } },
      { returnDocument: 'after' },
    );
    if (!counter) throw new Error(`${this}: the global position counter document is missing`);
    return counter.last;
  }

  private async streamHead(stream: string): Promise<StreamHead> {
    const last = await this.events.findOne(
      { stream },
      { sort: { position: -1 }, projection: { position: 1, globalPosition: 1, batchEnd: 1, recordedAt: 1 } },
    );
    if (!last) return { version: 0, globalPosition: 0 };
    const writing =
      last.batchEnd > last.position && Date.now() - last.recordedAt.getTime() < this.gapTimeoutMs;
    return {
      version: last.position,
      globalPosition: last.globalPosition,
      ...(writing ? { unfinishedBatchEnd: last.batchEnd } : {}),
    };
  }

  private abandonedPositions(): AbandonedPositions {
    return {
      endOfAbandonedRange: async (position) =>
        (await this.abandonedRanges.findOne({ _id: { $lte: position }, to: { $gte: position } }))?.to,
      recordAbandoned: async (from, to) => {
        await this.abandonedRanges.updateOne({ _id: from }, { $max: { to } }, { upsert: true });
      },
    };
  }
}

interface StreamHead {
  readonly version: number;
  /** Of the stream's last event; 0 when the stream is empty. */
  readonly globalPosition: number;
  /** Set while the stream's last append is still being written by a live writer: where it will end. */
  readonly unfinishedBatchEnd?: number;
}

/** The version a writer must expect: where a batch still being written will end. */
function versionIncludingUnfinished(head: StreamHead): number {
  return head.unfinishedBatchEnd ?? head.version;
}

/** How many events an ordered insert stored before it hit a (stream, position) taken by another writer. */
function insertedBeforePositionCollision(error: unknown): number | undefined {
  if (!(error instanceof MongoBulkWriteError)) return undefined;
  const [first] = Array.isArray(error.writeErrors) ? error.writeErrors : [error.writeErrors];
  if (first?.code !== DUPLICATE_KEY || !first.errmsg?.includes(STREAM_POSITION_INDEX)) return undefined;
  return first.index;
}

function toStoredEvent(document: EventDocument): StoredEvent {
  return {
    id: document.id,
    type: document.type,
    stream: document.stream,
    position: document.position,
    globalPosition: document.globalPosition,
    recordedAt: document.recordedAt,
    data: JSON.parse(document.data) as unknown,
    ...(document.metadata === undefined
      ? {}
      : { metadata: JSON.parse(document.metadata) as Record<string, string> }),
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

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
