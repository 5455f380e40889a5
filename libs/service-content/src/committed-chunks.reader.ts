import type { EventStore, StoredEvent, VersionChunk } from '@wharf/ports';
import {
  CorruptStreamError,
  isRepositoryEvent,
  type RepositoryVersionCreatedData,
} from '@wharf/domain-content';

/**
 * The content of a committed version, read back from its stream chunk by chunk when the commit is applied.
 *
 * `decide` appends a change as its chunks immediately followed by their commit, in one append, and the
 * store never interleaves another writer's events into a stream; so the `chunks` events right before the
 * commit are exactly its content (orphans of a crashed append lie further back, under another changeId).
 * Reading them back instead of collecting them while tailing the log keeps at most one page of the store
 * in memory, whatever the size of the version, and lets a projection resume from any checkpoint.
 */
export async function* readCommittedChunks(
  store: EventStore,
  commit: StoredEvent<RepositoryVersionCreatedData>,
): AsyncIterable<VersionChunk> {
  const { changeId, version, chunks } = commit.data;
  const fromPosition = commit.position - chunks;
  let seen = 0;
  if (chunks > 0) {
    for await (const event of store.readStream(commit.stream, {
      fromPosition,
      toPosition: commit.position - 1,
    })) {
      if (!isRepositoryEvent(event)) break;
      if (event.type !== 'VersionContentAdded' && event.type !== 'VersionContentRemoved') break;
      if (event.data.changeId !== changeId || event.data.version !== version) break;
      seen++;
      yield event.type === 'VersionContentAdded'
        ? { added: event.data.units, removed: [] }
        : { added: [], removed: event.data.units };
    }
  }
  if (seen !== chunks) {
    throw new CorruptStreamError(
      `${commit.stream}: commit of change ${changeId} (version ${version}) at position ${commit.position} ` +
        `announces ${chunks} chunks, but only ${seen} of that change precede it`,
    );
  }
}
