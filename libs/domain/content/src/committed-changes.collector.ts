import type { UnitKey } from '@wharf/contracts';
import type { ContentSummary } from './content-summary.model.js';
import { CorruptStreamError } from './repository.errors.js';
import type { RepositoryEvent, RepositoryVersionCreatedData } from './repository.events.js';

/** A version as readers see it: its committed change against the previous version. */
export interface CommittedChange {
  readonly changeId: string;
  readonly version: number;
  readonly baseVersion: number | null;
  readonly added: readonly UnitKey[];
  readonly removed: readonly UnitKey[];
  readonly summary: ContentSummary;
  readonly createdAt: string;
}

interface PendingChange {
  readonly changeId: string;
  readonly version: number;
  readonly added: UnitKey[];
  readonly removed: UnitKey[];
  chunks: number;
}

/**
 * Folds one repository stream's events, in order, into committed versions. Chunks are held until the
 * commit with their changeId arrives; chunks of an earlier changeId that never got a commit (a writer
 * crashed mid-append) are dropped as soon as another change begins, so at most one change is ever held.
 * Other events pass through unnoticed: the projection handles version and repository deletion itself.
 */
export class CommittedChangeCollector {
  private pending: PendingChange | undefined;

  /** Returns the committed change when `event` is a commit, otherwise undefined. */
  accept(event: RepositoryEvent): CommittedChange | undefined {
    switch (event.type) {
      case 'VersionContentAdded':
      case 'VersionContentRemoved': {
        const { changeId, version, units } = event.data;
        if (this.pending?.changeId !== changeId) {
          this.pending = { changeId, version, added: [], removed: [], chunks: 0 };
        }
        const target = event.type === 'VersionContentAdded' ? this.pending.added : this.pending.removed;
        for (const unit of units) target.push(unit);
        this.pending.chunks++;
        return undefined;
      }
      case 'RepositoryVersionCreated':
        return this.commit(event.data);
      default:
        return undefined;
    }
  }

  private commit(data: RepositoryVersionCreatedData): CommittedChange {
    const pending = this.pending?.changeId === data.changeId ? this.pending : undefined;
    this.pending = undefined;
    const chunks = pending?.chunks ?? 0;
    if (chunks !== data.chunks || (pending && pending.version !== data.version)) {
      throw new CorruptStreamError(
        `commit of change ${data.changeId} (version ${data.version}) announces ${data.chunks} chunks, ` +
          `but ${chunks} precede it`,
      );
    }
    return {
      changeId: data.changeId,
      version: data.version,
      baseVersion: data.baseVersion,
      added: pending?.added ?? [],
      removed: pending?.removed ?? [],
      summary: data.summary,
      createdAt: data.createdAt,
    };
  }
}

/** The committed versions of a stream, in order; orphan chunks are left out. */
export function collectCommittedChanges(events: Iterable<RepositoryEvent>): CommittedChange[] {
  const collector = new CommittedChangeCollector();
  const committed: CommittedChange[] = [];
  for (const event of events) {
    const change = collector.accept(event);
    if (change) committed.push(change);
  }
  return committed;
}
