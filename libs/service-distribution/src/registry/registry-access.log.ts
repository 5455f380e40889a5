import { randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { EventStore } from '@wharf/ports';
import type { RegistryManifestAccessData } from '@wharf/contracts';

/** Stream category of registry access events: their subjects are `events.registry.<type>`. */
export const REGISTRY_ACCESS_STREAM_PREFIX = 'registry-';

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
 * The registry's hook into the audit log: each call stores one event in the distribution service's own event
 * store, which its outbox publishes and the audit service records like any other. One stream per access, so
 * concurrent pulls never contend for a stream. The actor is set on the event here, as the registry knows
 * its client without the REST API's request context. A record that cannot be stored is logged, not thrown:
 * the client already has its manifest.
 */
@Injectable()
export class RegistryAccessLog {
  private readonly logger = new Logger('Registry');

  constructor(private readonly store: EventStore) {}

  manifestPulled(access: ManifestAccess, at: Date): Promise<void> {
    return this.append('ManifestPulled', access, at);
  }

  /** For the push side of the registry: call once a pushed manifest is stored and visible. */
  manifestPushed(access: ManifestAccess, at: Date): Promise<void> {
    return this.append('ManifestPushed', access, at);
  }

  private async append(type: string, access: ManifestAccess, at: Date): Promise<void> {
    const data: RegistryManifestAccessData = {
      repository: access.repository,
      digest: access.digest,
      tag: access.tag,
      mediaType: access.mediaType,
      at: at.toISOString(),
    };
    try {
      await this.store.append(
        `${REGISTRY_ACCESS_STREAM_PREFIX}${randomUUID()}`,
        [{ id: randomUUID(), type, data, metadata: { actor: access.client } }],
        0,
      );
    } catch (error) {
      this.logger.error(
        `could not record ${type} of ${access.repository}@${access.digest} by ${access.client}: ${(error as Error).message}`,
      );
    }
  }
}
