/**
 * The append-only event log. One stream per aggregate (a repository, a task, the remote catalog...).
 *
 * Positions: a stream's events are numbered 1, 2, 3... (`position`); a stream's *version* is the position of
 * its last event (0 when empty). Every event also gets a `globalPosition`, strictly increasing across all
 * streams in the order readers of `readAll` see them, so projections and the outbox relay can resume from
 * a checkpoint.
 *
 * Atomicity: an `append` call is atomic on adapters that have transactions (SQLite); on adapters that do
 * not (MongoDB without transactions) a crash can leave a prefix of a batch stored. Writers that need
 * all-or-nothing changes therefore end every change with a commit event and readers ignore a stream's
 * uncommitted tail (see libs/domain/content). Adapters never reorder or interleave events of one stream.
 */
export interface NewEvent<T = unknown> {
  /** Unique event id (a UUID); the outbox publishes it as the bus message id for deduplication. */
  readonly id: string;
  readonly type: string;
  readonly data: T;
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface StoredEvent<T = unknown> extends NewEvent<T> {
  readonly stream: string;
  /** 1-based position within the stream. */
  readonly position: number;
  /** Strictly increasing across all streams; a checkpoint is the last globalPosition a reader handled. */
  readonly globalPosition: number;
  readonly recordedAt: Date;
}

/**
 * What the writer believes the stream's version is: a number (0 = the stream does not exist yet), or 'any'
 * to skip the check. A mismatch raises WrongExpectedVersionError and stores nothing.
 */
export type ExpectedVersion = number | 'any';

export interface AppendResult {
  /** The stream's version after the append (the position of the last appended event). */
  readonly nextExpectedVersion: number;
  readonly lastGlobalPosition: number;
}

export interface ReadStreamOptions {
  /** First position to return (inclusive); default 1. */
  readonly fromPosition?: number;
  /** Last position to return (inclusive); default: the end of the stream. */
  readonly toPosition?: number;
  /** At most this many events; default: all. */
  readonly limit?: number;
}

export interface ReadAllOptions {
  /** Return events with globalPosition strictly greater than this; 0 = from the beginning. */
  readonly after: number;
  readonly limit: number;
}

export interface EventSubscription {
  close(): Promise<void>;
}

export class WrongExpectedVersionError extends Error {
  constructor(
    readonly stream: string,
    readonly expected: ExpectedVersion,
    readonly actual: number,
  ) {
    super(`stream ${stream}: expected version ${expected}, but it is at ${actual}`);
    this.name = 'WrongExpectedVersionError';
  }
}

export abstract class EventStore {
  abstract append(
    stream: string,
    events: readonly NewEvent[],
    expected: ExpectedVersion,
  ): Promise<AppendResult>;

  /** The stream's events in position order, streamed so that long streams need no buffering. */
  abstract readStream(stream: string, options?: ReadStreamOptions): AsyncIterable<StoredEvent>;

  /** The stream's current version (0 when it does not exist). */
  abstract streamVersion(stream: string): Promise<number>;

  /** One page of all streams' events in global order. */
  abstract readAll(options: ReadAllOptions): Promise<StoredEvent[]>;

  /**
   * Calls `handler` for every event with globalPosition > `after`, in global order, one at a time, first the
   * stored backlog and then new appends as they happen. A handler that throws stops the subscription
   * (`onError` is told); the caller resumes from its own checkpoint.
   */
  abstract subscribe(
    after: number,
    handler: (event: StoredEvent) => Promise<void>,
    onError?: (error: unknown) => void,
  ): EventSubscription;

  /**
   * Durable checkpoints for readers of `readAll`/`subscribe` (the outbox relay, projections), kept beside
   * the events so that a reader's progress lives and is backed up with what it reads. 0 when never saved.
   */
  abstract loadCheckpoint(reader: string): Promise<number>;

  abstract saveCheckpoint(reader: string, globalPosition: number): Promise<void>;

  /** Liveness of the backing store, for /readyz. */
  abstract ping(): Promise<void>;

  abstract close(): Promise<void>;
}
