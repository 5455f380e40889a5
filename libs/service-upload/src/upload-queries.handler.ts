import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { BusConsumer } from '@wharf/ports';
import { Queries } from '@wharf/runtime';
import { UploadsService } from './uploads.service.js';
import { ArtifactsService } from './artifacts.service.js';

/** The upload service's answers on the bus: decode nothing, delegate everything. */
@Injectable()
export class UploadQueriesHandler implements OnApplicationBootstrap, OnModuleDestroy {
  private consumers: BusConsumer[] = [];

  constructor(
    private readonly queries: Queries,
    private readonly uploads: UploadsService,
    private readonly artifacts: ArtifactsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.consumers = await Promise.all([
      this.queries.answer('upload.create', ({ size }) => this.uploads.create(size, new Date())),
      this.queries.answer('upload.get', async ({ id }) => this.uploads.get(id)),
      this.queries.answer('upload.list', async ({ offset, limit }) => this.uploads.list(offset, limit)),
      this.queries.answer('upload.delete', async ({ id }) => {
        await this.uploads.delete(id, new Date());
        return { id };
      }),
      this.queries.answer('upload.place-chunk', async (request) => this.uploads.placeChunk(request)),
      this.queries.answer('upload.record-chunk', (request) => this.uploads.recordChunk(request, new Date())),
      this.queries.answer('upload.validate-commit', async (request) => this.uploads.validateCommit(request)),
      this.queries.answer('artifact.record', ({ digest }) => this.artifacts.record(digest, new Date())),
      this.queries.answer('artifact.get', async ({ id }) => this.artifacts.get(id)),
      this.queries.answer('artifact.list', async (request) => this.artifacts.list(request)),
    ]);
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.close()));
  }
}
