import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EventStore, WrongExpectedVersionError } from '@wharf/ports';
import {
  decide,
  evolve,
  initialRepositoryState,
  isRepositoryEvent,
  type RepositoryCommand,
  type RepositoryEvent,
  type RepositoryState,
} from '@wharf/domain-content';
import { REPOSITORY_STREAM_PREFIX } from './repository-directory.projection.js';

/** How often a command is re-decided on fresh state after losing a race for the stream. */
const MAX_ATTEMPTS = 20;

const NO_VERSIONS: ReadonlySet<number> = new Set();

export interface Loaded {
  readonly state: RepositoryState;
  /** The stream's version (position of its last event). */
  readonly version: number;
  /** Global position of the stream's last event (0 when empty): what readers wait for to see this state. */
  readonly headPosition: number;
}

export interface Executed {
  readonly state: RepositoryState;
  /** Global position of the last appended event; 0 when the command changed nothing. */
  readonly lastGlobalPosition: number;
}

/**
 * Runs repository commands against their streams: load state (cached, then caught up from the stream), decide,
 * append with the version the decision was made on. A concurrent writer makes the append fail with a
 * version conflict; the command is then decided again on the new state, so no update is ever lost and the
 * domain rules always see what they decide on.
 */
@Injectable()
export class RepositoryStreams {
  private readonly cache = new Map<string, Loaded>();

  constructor(private readonly store: EventStore) {}

  async load(repositoryId: string): Promise<Loaded> {
    const stream = REPOSITORY_STREAM_PREFIX + repositoryId;
    let { state, version, headPosition } = this.cache.get(repositoryId) ?? {
      state: initialRepositoryState,
      version: 0,
      headPosition: 0,
    };
    for await (const event of this.store.readStream(stream, { fromPosition: version + 1 })) {
      if (isRepositoryEvent(event)) state = evolve(state, event);
      version = event.position;
      headPosition = event.globalPosition;
    }
    const loaded = { state, version, headPosition };
    this.cache.set(repositoryId, loaded);
    return loaded;
  }

  /**
   * `keepVersions` are versions that retention must not prune although the domain would (see
   * VersionProtection): the domain knows nothing of publications, so its prune events for them are dropped.
   * A version kept this way is pruned by the first change after its protection ends.
   */
  async execute(
    repositoryId: string,
    command: (state: RepositoryState) => RepositoryCommand,
    keepVersions: ReadonlySet<number> = NO_VERSIONS,
  ): Promise<Executed> {
    const stream = REPOSITORY_STREAM_PREFIX + repositoryId;
    for (let attempt = 1; ; attempt++) {
      const { state, version } = await this.load(repositoryId);
      const events = withoutPrunesOf(keepVersions, decide(command(state), state));
      if (events.length === 0) return { state, lastGlobalPosition: 0 };
      try {
        const result = await this.store.append(
          stream,
          events.map((e) => ({ id: randomUUID(), type: e.type, data: e.data })),
          version,
        );
        const next = events.reduce(evolve, state);
        this.cache.set(repositoryId, {
          state: next,
          version: result.nextExpectedVersion,
          headPosition: result.lastGlobalPosition,
        });
        return { state: next, lastGlobalPosition: result.lastGlobalPosition };
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }
}

function withoutPrunesOf(keepVersions: ReadonlySet<number>, events: RepositoryEvent[]): RepositoryEvent[] {
  if (keepVersions.size === 0) return events;
  return events.filter(
    (event) => event.type !== 'RepositoryVersionDeleted' || !keepVersions.has(event.data.version),
  );
}
