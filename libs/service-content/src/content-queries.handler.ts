import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { BusConsumer } from '@wharf/ports';
import { Queries } from '@wharf/runtime';
import { ContentCatalogService } from './content-catalog.service.js';
import { ContentReader } from './content.reader.js';
import { InvalidManifestError } from './content.errors.js';
import { ContentWrites } from './content-writes.js';
import type { ContentWriteOperation } from '@wharf/contracts';
import { RepositoriesService } from './repositories.service.js';
import { RepositoryDirectory } from './repository-directory.projection.js';

/** The content service's answers on the bus: undo the transport's encoding, delegate everything else. */
@Injectable()
export class ContentQueriesHandler implements OnApplicationBootstrap, OnModuleDestroy {
  private consumers: BusConsumer[] = [];

  constructor(
    private readonly queries: Queries,
    private readonly repositories: RepositoriesService,
    private readonly directory: RepositoryDirectory,
    private readonly reader: ContentReader,
    private readonly catalog: ContentCatalogService,
    private readonly writes: ContentWrites,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const q = this.queries;
    this.consumers = await Promise.all([
      q.answer('content.repository.create', (request) => this.repositories.create(request, new Date())),
      q.answer('content.repository.get', async ({ id }) => this.repositories.get(id)),
      q.answer('content.repository.list', async (request) => this.directory.list(request)),
      q.answer('content.version.list', (request) => this.reader.listVersions(request)),
      q.answer('content.version.get', (request) => this.reader.getVersion(request)),
      q.answer('content.version.units', (request) => this.reader.versionUnits(request)),
      q.answer('content.version.diff', (request) => this.reader.diff(request)),
      q.answer('content.unit.list', (request) => this.reader.listUnits(request)),
      q.answer('content.unit.get', ({ key }) => this.reader.getUnit(key)),
      q.answer('content.manifest.record', ({ bytes, mediaType }) =>
        this.catalog.recordManifest(fromBase64(bytes), mediaType, new Date()),
      ),
      q.answer('content.blob.record', ({ digest, size, onDemand }) =>
        this.catalog.recordBlob(digest, size, new Date(), onDemand),
      ),
      ...(Object.keys(this.writes.handlers) as ContentWriteOperation[]).map((operation) =>
        q.answer(operation, (request) => this.writes.run(operation, request as never, new Date())),
      ),
    ]);
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.close()));
  }
}

function fromBase64(bytes: unknown): Uint8Array {
  if (typeof bytes !== 'string') throw new InvalidManifestError('expected its bytes as a base64 string');
  return Buffer.from(bytes, 'base64');
}
