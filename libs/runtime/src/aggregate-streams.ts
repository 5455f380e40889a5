import { randomUUID } from 'node:crypto';
import { EventStore, WrongExpectedVersionError } from '@wharf/ports';

/** A domain event as deciders produce it; the store adds id, stream and positions. */
export interface DomainEvent {
  readonly type: string;
  readonly data: unknown;
}

/** How one kind of aggregate lives in the event store: its stream names and its pure decide/evolve pair. */
export interface AggregateDefinition<S, C, E extends DomainEvent> {
  /** Stream of the aggregate with id `x` is `<streamPrefix>x`; its category (before `-`) names its bus subjects. */
  readonly streamPrefix: string;
  /** State before the first event. */
  readonly initial: S;
  readonly evolve: (state: S, event: E) => S;
  /** Events that carry out `command` on `state`, or a thrown domain error. Must be pure. */
  readonly decide: (command: C, state: S) => readonly E[];
  /** Recognises this aggregate's events among what the stream holds (other types are skipped). */
  readonly isEvent: (event: DomainEvent) => event is E;
}

export interface LoadedAggregate<S> {
  readonly state: S;
  /** The stream's version: the position of its last event, 0 when it has none. */
  readonly version: number;
  /** Global position of the stream's last event (0 when empty): what projections must reach to show this state. */
  readonly headPosition: number;
}

export interface ExecutedCommand<S, E> {
  readonly state: S;
  /** What was appended; empty when the command changed nothing. */
  readonly events: readonly E[];
  /** Global position of the last appended event; 0 when nothing was appended. */
  readonly lastGlobalPosition: number;
}

export interface AggregateStreamsOptions {
  /** Attempts at one command when concurrent writers keep winning the append; default 20. */
  readonly maxAttempts?: number;
  /** Aggregates whose state stays cached between commands; default 1,000 (least recently used go first). */
  readonly cacheSize?: number;
}

export interface ExecuteOptions {
  /** Stored with every appended event (e.g. `actor`, `correlationId`); travels to the bus and the audit log. */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** A command, or a function that builds it from the state it will be decided on (re-run after each lost race). */
export type CommandSource<S, C> = C | ((state: S) => C);

/**
 * Runs commands against event-sourced aggregates, one stream per aggregate: load the state, decide, append
 * at the version the decision was made on. A concurrent writer makes the append fail with a version
 * conflict; the command is then decided again on the new state, so no update is lost and the domain rules
 * always see what they decide on. Services subclass it as an injectable per aggregate kind.
 *
 * States are cached and caught up from the stream on each load, so a cached state is never stale: the
 * cache only saves re-reading the events it already folded.
 */
export class AggregateStreams<S, C, E extends DomainEvent> {
  private readonly cache = new Map<string, LoadedAggregate<S>>();
  private readonly maxAttempts: number;
  private readonly cacheSize: number;

  constructor(
    private readonly store: EventStore,
    private readonly definition: AggregateDefinition<S, C, E>,
    options: AggregateStreamsOptions = {},
  ) {
    this.maxAttempts = options.maxAttempts ?? 20;
    this.cacheSize = options.cacheSize ?? 1_000;
  }

  streamOf(id: string): string {
    return this.definition.streamPrefix + id;
  }

  async load(id: string): Promise<LoadedAggregate<S>> {
    const { evolve, isEvent } = this.definition;
    let { state, version, headPosition } = this.cache.get(id) ?? {
      state: this.definition.initial,
      version: 0,
      headPosition: 0,
    };
    for await (const event of this.store.readStream(this.streamOf(id), { fromPosition: version + 1 })) {
      if (isEvent(event)) state = evolve(state, event);
      version = event.position;
      headPosition = event.globalPosition;
    }
    const loaded = { state, version, headPosition };
    this.remember(id, loaded);
    return loaded;
  }

  /**
   * Decides `command` on the aggregate's current state and appends the events. Throws what `decide` throws,
   * and WrongExpectedVersionError only when every attempt lost its race.
   */
  async execute(
    id: string,
    command: CommandSource<S, C>,
    options: ExecuteOptions = {},
  ): Promise<ExecutedCommand<S, E>> {
    const { decide, evolve } = this.definition;
    for (let attempt = 1; ; attempt++) {
      const { state, version } = await this.load(id);
      const events = decide(typeof command === 'function' ? (command as (s: S) => C)(state) : command, state);
      if (events.length === 0) return { state, events, lastGlobalPosition: 0 };
      try {
        const result = await this.store.append(
          this.streamOf(id),
          events.map((event) => ({
            id: randomUUID(),
            type: event.type,
            data: event.data,
            ...(options.metadata ? { metadata: options.metadata } : {}),
          })),
          version,
        );
        const next = events.reduce(evolve, state);
        this.remember(id, {
          state: next,
          version: result.nextExpectedVersion,
          headPosition: result.lastGlobalPosition,
        });
        return { state: next, events, lastGlobalPosition: result.lastGlobalPosition };
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError) || attempt >= this.maxAttempts) throw error;
      }
    }
  }

  private remember(id: string, loaded: LoadedAggregate<S>): void {
    // Re-inserting moves the entry to the end, so the first key is always the least recently used.
    this.cache.delete(id);
    this.cache.set(id, loaded);
    if (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
  }
}
