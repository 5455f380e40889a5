import { EventStore, type EventSubscription, type StoredEvent } from '@wharf/ports';

/**
 * An in-memory read model of one kind of aggregate (repositories, tasks, publications…): each stream with the
 * given prefix folded into a small state, kept current by a subscription to the service's own event log and
 * rebuilt at start by reading the log once. Writers wait for it to reach their append (`caughtUp`) so that a
 * client reads its own writes. Suited to aggregates whose state is small; unit lists never live here.
 */
export abstract class FoldedDirectory<S> {
  protected readonly states = new Map<string, S>();
  private position = 0;
  private waiters: { position: number; resolve: () => void }[] = [];
  private subscription?: EventSubscription;
  private failure?: unknown;
  private onChange: (id: string, state: S) => void = () => undefined;

  constructor(
    protected readonly store: EventStore,
    private readonly streamPrefix: string,
  ) {}

  /** The state after `event`, or undefined to ignore the event (not one of this aggregate's). */
  protected abstract fold(state: S | undefined, event: StoredEvent): S | undefined;

  /** Starts folding from the beginning of the log; `onChange` hears every state change as it is folded. */
  start(onChange?: (id: string, state: S) => void): void {
    if (onChange) this.onChange = onChange;
    this.subscription ??= this.store.subscribe(
      0,
      async (event) => this.apply(event),
      (error) => {
        // Nobody waiting may hang on a log that is no longer read: wake them to see the failure.
        this.failure = error;
        this.waiters.splice(0).forEach((w) => w.resolve());
      },
    );
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
  }

  /** Resolves once every event up to `globalPosition` is folded in. */
  async caughtUp(globalPosition: number): Promise<void> {
    if (this.position < globalPosition && !this.failure) {
      await new Promise<void>((resolve) => this.waiters.push({ position: globalPosition, resolve }));
    }
    if (this.failure) throw this.failure;
  }

  /** Resolves once everything stored so far is folded in. */
  async caughtUpNow(): Promise<void> {
    let last = this.position;
    for (;;) {
      const batch = await this.store.readAll({ after: last, limit: 1000 });
      if (!batch.length) break;
      last = batch[batch.length - 1]!.globalPosition;
    }
    await this.caughtUp(last);
  }

  private async apply(event: StoredEvent): Promise<void> {
    if (event.stream.startsWith(this.streamPrefix)) {
      const id = event.stream.slice(this.streamPrefix.length);
      const next = this.fold(this.states.get(id), event);
      if (next !== undefined) {
        this.states.set(id, next);
        this.onChange(id, next);
      }
    }
    this.position = event.globalPosition;
    if (this.waiters.some((w) => w.position <= this.position)) {
      const ready = this.waiters.filter((w) => w.position <= this.position);
      this.waiters = this.waiters.filter((w) => w.position > this.position);
      ready.forEach((w) => w.resolve());
    }
  }
}
