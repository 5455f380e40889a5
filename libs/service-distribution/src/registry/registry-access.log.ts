import { randomUUID } from 'node:crypto';
import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { EventStore, type NewEvent } from '@wharf/ports';
import type { RegistryManifestAccessData } from '@wharf/contracts';

/** Stream category of registry access events: their subjects are `events.registry.<type>`. */
export const REGISTRY_ACCESS_STREAM_PREFIX = 'registry-';

/** Pull records wait at most this long (ms) to share one event-store append... */
export const PULL_BATCH_DELAY_MS = 100;
/** ...or until this many are waiting. */
export const PULL_BATCH_SIZE = 500;

/** A manifest a registry client pulled or pushed, and who that client is. */
export interface ManifestAccess {
  /** The registry repository name (a distribution's base path). */
  readonly repository: string;
  readonly digest: string;
  readonly tag: string | null;
  readonly mediaType: string;
  /** The client's identity: the API user of its Basic credentials or token, or `anonymous`. */
  readonly client: string;
}

/**
 * The registry's hook into the audit log: records go to the distribution service's own event store, which its
 * outbox publishes and the audit service records like any other. The actor is set on each event here, as the
 * registry knows its client without the REST API's request context. A record that cannot be stored is logged,
 * not thrown: the client already has its manifest.
 *
 * A push is stored before its handler returns. Pulls are far more frequent (every `docker pull` of every
 * image), and one event-store append each (a transaction, and a wake-up of every subscriber) costs more than
 * serving the manifest, so they are collected for up to PULL_BATCH_DELAY_MS (or PULL_BATCH_SIZE records) and stored
 * in one append: a crash can lose the pull records of the last 100 ms, never a push. Each append writes a new
 * stream, so concurrent appends never contend for one; shutdown stores what is still waiting.
 */
@Injectable()
export class RegistryAccessLog implements OnModuleDestroy {
  private readonly logger = new Logger('Registry');
  private waitingPulls: NewEvent<RegistryManifestAccessData>[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly flushing = new Set<Promise<void>>();

  constructor(private readonly store: EventStore) {}

  /** Queues the record; it is stored with the others of the next PULL_BATCH_DELAY_MS. */
  manifestPulled(access: ManifestAccess, at: Date): void {
    this.waitingPulls.push(accessEvent('ManifestPulled', access, at));
    if (this.waitingPulls.length >= PULL_BATCH_SIZE) this.flushPulls();
    else this.flushTimer ??= setTimeout(() => this.flushPulls(), PULL_BATCH_DELAY_MS).unref();
  }

  /** For the push side of the registry: call once a pushed manifest is stored and visible. */
  manifestPushed(access: ManifestAccess, at: Date): Promise<void> {
    return this.append([accessEvent('ManifestPushed', access, at)]);
  }

  async onModuleDestroy(): Promise<void> {
    this.flushPulls();
    await Promise.all(this.flushing);
  }

  private flushPulls(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.waitingPulls.length === 0) return;
    const batch = this.waitingPulls;
    this.waitingPulls = [];
    const done = this.append(batch).finally(() => this.flushing.delete(done));
    this.flushing.add(done);
  }

  private async append(events: NewEvent<RegistryManifestAccessData>[]): Promise<void> {
    try {
      await this.store.append(`${REGISTRY_ACCESS_STREAM_PREFIX}${randomUUID()}`, events, 0);
    } catch (error) {
      const [first] = events;
      const what =
        events.length === 1 && first
          ? `${first.type} of ${first.data.repository}@${first.data.digest} by ${first.metadata?.actor}`
          : `${events.length} ${first?.type} records`;
      this.logger.error(`could not record ${what}: ${(error as Error).message}`);
    }
  }
}

function accessEvent(type: string, access: ManifestAccess, at: Date): NewEvent<RegistryManifestAccessData> {
  return {
    id: randomUUID(),
    type,
    data: {
      repository: access.repository,
      digest: access.digest,
      tag: access.tag,
      mediaType: access.mediaType,
      at: at.toISOString(),
    },
    metadata: { actor: access.client },
  };
}
