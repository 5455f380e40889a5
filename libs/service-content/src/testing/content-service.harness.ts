import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { INestApplicationContext } from '@nestjs/common';
import type {
  CatalogUnit,
  RepositoryView,
  UnitKey,
  UnitType,
  VersionMembershipFilter,
} from '@wharf/contracts';
import { BlobStore, ContentIndex, EventStore, MessageBus } from '@wharf/ports';
import { loadSettings, Queries, type Env } from '@wharf/runtime';
import { createContentServiceContext } from '../content-service.context.js';
import type { VersionProtection } from '../version-protection.js';

/*
 * Test support, for this library's integration specs only (it is not part of the public surface): the content
 * service embedded on real adapters under a fresh temporary directory, driven through its bus queries.
 */

export interface ContentHarnessOptions {
  /** Extra settings (e.g. WHARF_EVENT_STORE=mongodb); the default is memory bus, SQLite and files. */
  readonly env?: Env;
  readonly versionProtection?: VersionProtection;
  /** Reuse this data directory (to restart over the same data); a fresh one otherwise. */
  readonly dataDir?: string;
}

export class ContentHarness {
  readonly ask: Queries['ask'];

  private constructor(
    readonly app: INestApplicationContext,
    readonly dataDir: string,
    private readonly options: ContentHarnessOptions,
  ) {
    const queries = app.get(Queries);
    this.ask = queries.ask.bind(queries);
  }

  static async start(options: ContentHarnessOptions = {}): Promise<ContentHarness> {
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'wharf-content-'));
    const settings = loadSettings(
      { WHARF_DATA_DIR: dataDir, ...options.env },
      {
        bus: 'memory',
        eventStore: 'sqlite',
        blobStore: 'fs',
        httpPortVariable: 'WHARF_HTTP_PORT',
        httpPort: 0,
      },
    );
    const app = await createContentServiceContext({ settings, versionProtection: options.versionProtection });
    return new ContentHarness(app, dataDir, { ...options, dataDir });
  }

  get store(): EventStore {
    return this.app.get(EventStore);
  }

  get index(): ContentIndex {
    return this.app.get(ContentIndex);
  }

  get blobs(): BlobStore {
    return this.app.get(BlobStore);
  }

  get bus(): MessageBus {
    return this.app.get(MessageBus);
  }

  createRepository(name: string, retainRepoVersions?: number): Promise<RepositoryView> {
    return this.ask('content.repository.create', { name, retainRepoVersions });
  }

  /** Stores the bytes and records them as a blob unit, as sync and upload do. */
  async storeBlob(bytes: Uint8Array): Promise<CatalogUnit> {
    const { digest, size } = await this.blobs.put(Readable.from([bytes]));
    return this.ask('content.blob.record', { digest, size });
  }

  recordManifest(bytes: Uint8Array, mediaType?: string): Promise<CatalogUnit> {
    return this.ask('content.manifest.record', { bytes: Buffer.from(bytes).toString('base64'), mediaType });
  }

  /** Every key of a version's membership, read page by page. */
  async versionKeys(
    repositoryId: string,
    version: number,
    membership: VersionMembershipFilter = 'present',
    type?: UnitType,
  ): Promise<UnitKey[]> {
    const keys: UnitKey[] = [];
    let afterKey: UnitKey | undefined;
    do {
      const page = await this.ask('content.version.units', {
        repositoryId,
        version,
        membership,
        type,
        afterKey,
        limit: 1_000,
      });
      keys.push(...page.items);
      afterKey = page.nextAfterKey;
    } while (afterKey !== undefined);
    return keys;
  }

  /** Stops the service and starts it again over the same data (a process restart). */
  async restart(): Promise<ContentHarness> {
    await this.app.close();
    return ContentHarness.start(this.options);
  }

  /** Stops the service and removes its data. */
  async close(): Promise<void> {
    await this.app.close();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
