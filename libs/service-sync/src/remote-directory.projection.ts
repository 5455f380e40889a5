import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EventStore, type StoredEvent } from '@wharf/ports';
import { FoldedDirectory } from '@wharf/runtime';
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
export class RemoteDirectory
  extends FoldedDirectory<RemoteState>
  implements OnApplicationBootstrap, OnModuleDestroy
{
  constructor(store: EventStore) {
    super(store, REMOTE_STREAM_PREFIX);
  }

  onApplicationBootstrap(): void {
    this.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  protected fold(state: RemoteState | undefined, event: StoredEvent): RemoteState | undefined {
    return isRemoteEvent(event) ? evolveRemote(state ?? initialRemoteState, event) : undefined;
  }

  /** The live remote with this id. */
  get(id: string): RemoteState | undefined {
    const state = this.states.get(id);
    return state && isLive(state) ? state : undefined;
  }

  /** Whether the live remote `id` goes by `name`: what makes its name claim count. */
  holds(id: string, name: string): boolean {
    return this.get(id)?.fields.name === name;
  }

  list(request: ListRemotesRequest): Page<RemoteView> {
    const matching = [...this.states.values()]
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
