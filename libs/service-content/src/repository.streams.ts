import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { EventStore, WrongExpectedVersionError } from '@wharf/ports';
import {
  decide,
  evolve,
  initialRepositoryState,
  isRepositoryEvent,
  type RepositoryCommand,
  type RepositoryState,
} from '@wharf/domain-content';
import { REPOSITORY_STREAM_PREFIX } from './repository-directory.projection.js';

/** How often a command is re-decided on fresh state after losing a race for the stream. */
const MAX_ATTEMPTS = 20;

interface Loaded {
  readonly state: RepositoryState;
  readonly version: number;
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
    let { state, version } = this.cache.get(repositoryId) ?? { state: initialRepositoryState, version: 0 };
    for await (const event of this.store.readStream(stream, { fromPosition: version + 1 })) {
      if (isRepositoryEvent(event)) state = evolve(state, event);
      version = event.position;
    }
    const loaded = { state, version };
    this.cache.set(repositoryId, loaded);
    return loaded;
  }

  async execute(
    repositoryId: string,
    command: (state: RepositoryState) => RepositoryCommand,
  ): Promise<Executed> {
    const stream = REPOSITORY_STREAM_PREFIX + repositoryId;
    for (let attempt = 1; ; attempt++) {
      const { state, version } = await this.load(repositoryId);
      const events = decide(command(state), state);
      if (events.length === 0) return { state, lastGlobalPosition: 0 };
      try {
        const result = await this.store.append(
          stream,
          events.map((e) => ({ id: randomUUID(), type: e.type, data: e.data })),
          version,
        );
        const next = events.reduce(evolve, state);
        this.cache.set(repositoryId, { state: next, version: result.nextExpectedVersion });
        return { state: next, lastGlobalPosition: result.lastGlobalPosition };
      } catch (error) {
        if (!(error instanceof WrongExpectedVersionError) || attempt >= MAX_ATTEMPTS) throw error;
      }
    }
  }
}
