import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BlobStore, ContentIndex, EventStore, MessageBus, type ObjectStore } from '@wharf/ports';
import { SqliteEventStore } from '@wharf/event-store-sqlite';
import { MongoEventStore } from '@wharf/event-store-mongo';
import { SqliteContentIndex } from '@wharf/content-index-sqlite';
import { MongoContentIndex } from '@wharf/content-index-mongo';
import { FsBlobStore } from '@wharf/blob-store-fs';
import { S3BlobStore, S3ObjectStore } from '@wharf/blob-store-s3';
import { InMemoryBroker, InMemoryBus } from '@wharf/bus-memory';
import { NatsBus } from '@wharf/bus-nats';
import type { Settings } from './settings.js';
import { TracedMessageBus } from './observability/traced-message-bus.js';
import { ObservedEventStore } from './observability/observed-event-store.js';
import { addConsumerLagSource } from './observability/metrics.js';

/** A named liveness check of one dependency, run by /readyz. */
export interface ReadinessProbe {
  readonly name: string;
  check(): Promise<void>;
}

/**
 * Opens the adapters this process's settings choose, once each, and closes them at shutdown. The only place
 * that knows adapter classes: services see ports. Event stores are per owning service (`content`, `audit`...),
 * one SQLite file or MongoDB database each, so a service's data can move without the others'.
 */
export class Infrastructure {
  private bus?: Promise<MessageBus>;
  private removeLagSource?: () => void;
  private blobs?: BlobStore;
  private exportObjects?: ObjectStore;
  private readonly eventStores = new Map<string, Promise<EventStore>>();
  private readonly contentIndexes = new Map<string, Promise<ContentIndex>>();
  readonly probes: ReadinessProbe[] = [];

  constructor(
    readonly settings: Settings,
    readonly processName: string,
  ) {}

  messageBus(): Promise<MessageBus> {
    this.bus ??= this.openBus();
    return this.bus;
  }

  blobStore(): BlobStore {
    if (!this.blobs) {
      const s3 = this.settings.s3;
      this.blobs = s3
        ? new S3BlobStore({
            endPoint: s3.url,
            accessKey: s3.accessKey,
            secretKey: s3.secretKey,
            bucket: s3.bucket,
            region: s3.region,
          })
        : new FsBlobStore({ root: join(this.settings.dataDir, 'blobs') });
      const store = this.blobs;
      this.probes.push({ name: `blob-store:${this.settings.blobStore}`, check: () => store.ping() });
    }
    return this.blobs;
  }

  /** The bucket exports with `"storage": "s3"` go to (WHARF_EXPORT_BUCKET); undefined when not configured. */
  exportObjectStore(): ObjectStore | undefined {
    const bucket = this.settings.exportBucket;
    if (bucket && !this.exportObjects) {
      this.exportObjects = new S3ObjectStore({
        endPoint: bucket.url,
        accessKey: bucket.accessKey,
        secretKey: bucket.secretKey,
        bucket: bucket.bucket,
        prefix: bucket.prefix,
        region: bucket.region,
      });
    }
    return this.exportObjects;
  }

  eventStore(owner: string): Promise<EventStore> {
    let store = this.eventStores.get(owner);
    if (!store) {
      store = this.openEventStore(owner);
      this.eventStores.set(owner, store);
    }
    return store;
  }

  /** The content read models an owner keeps beside its event store (same SQLite directory or MongoDB database). */
  contentIndex(owner: string): Promise<ContentIndex> {
    let index = this.contentIndexes.get(owner);
    if (!index) {
      index = this.openContentIndex(owner);
      this.contentIndexes.set(owner, index);
    }
    return index;
  }

  async close(): Promise<void> {
    const stores = await Promise.allSettled([...this.eventStores.values(), ...this.contentIndexes.values()]);
    await Promise.allSettled(stores.map((s) => (s.status === 'fulfilled' ? s.value.close() : undefined)));
    await this.blobs?.close();
    await this.exportObjects?.close();
    this.removeLagSource?.();
    if (this.bus) await (await this.bus).close();
  }

  private async openBus(): Promise<MessageBus> {
    const bus =
      this.settings.bus === 'nats'
        ? await NatsBus.connect({
            servers: this.settings.natsUrl as string,
            name: `wharf-${this.processName}`,
            streamPrefix: this.settings.natsStreamPrefix,
          })
        : new InMemoryBus(new InMemoryBroker());
    this.probes.push({ name: `bus:${this.settings.bus}`, check: () => bus.ping() });
    const traced = new TracedMessageBus(bus);
    this.removeLagSource = addConsumerLagSource(() => traced.consumerLag());
    return traced;
  }

  private async openEventStore(owner: string): Promise<EventStore> {
    let store: EventStore;
    if (this.settings.eventStore === 'mongodb') {
      store = await MongoEventStore.connect({
        url: this.settings.mongodbUrl as string,
        database: `${this.settings.mongodbDatabase}_${owner}`,
      });
    } else {
      mkdirSync(this.settings.dataDir, { recursive: true });
      store = new SqliteEventStore({ path: join(this.settings.dataDir, `${owner}.sqlite`) });
    }
    this.probes.push({ name: `event-store:${owner}`, check: () => store.ping() });
    return new ObservedEventStore(store, owner);
  }

  private async openContentIndex(owner: string): Promise<ContentIndex> {
    let index: ContentIndex;
    if (this.settings.eventStore === 'mongodb') {
      index = await MongoContentIndex.connect({
        url: this.settings.mongodbUrl as string,
        database: `${this.settings.mongodbDatabase}_${owner}`,
      });
    } else {
      mkdirSync(this.settings.dataDir, { recursive: true });
      index = new SqliteContentIndex({ path: join(this.settings.dataDir, `${owner}-index.sqlite`) });
    }
    this.probes.push({ name: `content-index:${owner}`, check: () => index.ping() });
    return index;
  }
}
