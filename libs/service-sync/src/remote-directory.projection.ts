import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EventStore, type EventSubscription, type StoredEvent } from '@wharf/ports';
import {
  REMOTE_CREDENTIAL_FIELDS,
  type ListRemotesRequest,
  type Page,
  type RemoteSettings,
  type RemoteView,
} from '@wharf/contracts';
import {
  evolveRemote,
  initialRemoteState,
  isLive,
  isRemoteEvent,
  type RemoteState,
} from '@wharf/domain-remote';

export const REMOTE_STREAM_PREFIX = 'remote-';

/**
 * Every remote, folded from the sync service's event log into memory: one small entry per remote, so
 * keeping them all is cheap, and rebuilt at start by reading the log once. Writers wait for it to reach
 * their append (`caughtUp`) so that a client reads its own writes.
 */
@Injectable()
export class RemoteDirectory implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly remotes = new Map<string, RemoteState>();
  private position = 0;
  private waiters: { position: number; resolve: () => void }[] = [];
  private subscription?: EventSubscription;
  private failure?: unknown;

  constructor(private readonly store: EventStore) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = this.store.subscribe(
      0,
      async (event) => this.apply(event),
      (error) => {
        this.failure = error;
        this.waiters.forEach((w) => w.resolve());
      },
    );
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.close();
  }

  /** Resolves once every event up to `globalPosition` is folded in. */
  async caughtUp(globalPosition: number): Promise<void> {
    if (this.position < globalPosition && !this.failure) {
      await new Promise<void>((resolve) => this.waiters.push({ position: globalPosition, resolve }));
    }
    if (this.failure) throw this.failure;
  }

  /** The live remote with this id. */
  get(id: string): RemoteState | undefined {
    const state = this.remotes.get(id);
    return state && isLive(state) ? state : undefined;
  }

  /** Whether the live remote `id` goes by `name`: what makes its name claim count. */
  holds(id: string, name: string): boolean {
    return this.get(id)?.fields.name === name;
  }

  list(request: ListRemotesRequest): Page<RemoteView> {
    const matching = [...this.remotes.values()]
      .filter(isLive)
      .filter(({ fields }) => request.name === undefined || fields.name === request.name)
      .filter(
        ({ fields }) => request.nameContains === undefined || fields.name.includes(request.nameContains),
      )
      .filter(
        ({ fields }) =>
          request.nameStartsWith === undefined || fields.name.startsWith(request.nameStartsWith),
      )
      .sort((a, b) => a.fields.name.localeCompare(b.fields.name));
    return {
      count: matching.length,
      results: matching.slice(request.offset, request.offset + request.limit).map(toRemoteView),
    };
  }

  private async apply(event: StoredEvent): Promise<void> {
    if (event.stream.startsWith(REMOTE_STREAM_PREFIX) && isRemoteEvent(event)) {
      const id = event.stream.slice(REMOTE_STREAM_PREFIX.length);
      this.remotes.set(id, evolveRemote(this.remotes.get(id) ?? initialRemoteState, event));
    }
    this.position = event.globalPosition;
    const ready = this.waiters.filter((w) => w.position <= this.position);
    if (ready.length) {
      this.waiters = this.waiters.filter((w) => w.position > this.position);
      ready.forEach((w) => w.resolve());
    }
  }
}

const CREDENTIALS: ReadonlySet<string> = new Set(REMOTE_CREDENTIAL_FIELDS);

/** What others may see of a remote: every setting, and of the credentials only whether each is set. */
export function toRemoteView(state: RemoteState): RemoteView {
  const settings = Object.fromEntries(
    Object.entries(state.fields).filter(([field]) => !CREDENTIALS.has(field)),
  ) as unknown as RemoteSettings;
  return {
    id: state.remoteId,
    ...settings,
    hiddenFields: REMOTE_CREDENTIAL_FIELDS.map((field) => ({ field, isSet: state.fields[field] !== null })),
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
  };
}
