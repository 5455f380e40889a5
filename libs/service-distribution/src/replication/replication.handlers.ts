import { Injectable, OnApplicationBootstrap, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { MessageBus, type BusConsumer } from '@wharf/ports';
import { Queries, TaskWorker } from '@wharf/runtime';
import {
  REPLICATION_TASKS,
  type ExportTaskPayload,
  type ImportTaskPayload,
  type ReplicateTaskPayload,
} from '@wharf/contracts';
import type { EventEnvelope } from '@wharf/outbox';
import { ReplicationTargetsService } from './replication-targets.service.js';
import { ReplicationService } from './replication.service.js';
import { OciLayoutService } from './oci-layout.service.js';

/** Durable: versions created while the distribution service was down still trigger their pushes. */
const VERSIONS_SUBSCRIBER = 'distribution-replication-versions';
const VERSION_CREATED_SUBJECT = 'events.repository.RepositoryVersionCreated';
const REPOSITORY_STREAM_PREFIX = 'repository-';

/**
 * Replication's entry points: bus queries about targets and exports, the replicate, export and import tasks,
 * and the follower of new repository versions that queues automatic pushes. Thin: the services do the work.
 */
@Injectable()
export class ReplicationHandlers implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private consumers: BusConsumer[] = [];

  constructor(
    private readonly queries: Queries,
    private readonly bus: MessageBus,
    private readonly worker: TaskWorker,
    private readonly targets: ReplicationTargetsService,
    private readonly replication: ReplicationService,
    private readonly layouts: OciLayoutService,
  ) {}

  onModuleInit(): void {
    this.worker.register<ReplicateTaskPayload>(REPLICATION_TASKS.replicate, ({ payload, progress }) =>
      this.replication.replicate(payload, progress),
    );
    this.worker.register<ExportTaskPayload>(REPLICATION_TASKS.export, ({ payload, progress }) =>
      this.layouts.export(payload, progress),
    );
    this.worker.register<ImportTaskPayload>(REPLICATION_TASKS.import, ({ payload, progress }) =>
      this.layouts.import(payload, progress),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    const q = this.queries;
    this.consumers = await Promise.all([
      q.answer('replication-target.create', (input) => this.targets.create(input, new Date())),
      q.answer('replication-target.get', async ({ id }) => this.targets.get(id)),
      q.answer('replication-target.list', async (request) => this.targets.list(request)),
      q.answer('replication-target.update', (request) => this.targets.update(request, new Date())),
      q.answer('replication-target.delete', ({ id }) => this.targets.delete(id, new Date())),
      q.answer('replication.validate-export', (payload) => this.layouts.validateExport(payload)),
      q.answer('replication.validate-import', (payload) => this.layouts.validateImport(payload)),
      this.bus.subscribeEvents<EventEnvelope<{ version: number }>>(
        VERSIONS_SUBSCRIBER,
        VERSION_CREATED_SUBJECT,
        (message) =>
          this.replication.versionCreated({
            repositoryId: message.data.stream.slice(REPOSITORY_STREAM_PREFIX.length),
            version: message.data.data.version,
          }),
      ),
    ]);
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.close()));
  }
}
