import { Injectable, OnModuleInit } from '@nestjs/common';
import { TaskWorker } from '@wharf/runtime';
import { SYNC_TASK, type SyncTaskPayload } from './sync-task.payload.js';
import { SyncProgress } from './sync.progress.js';
import { SyncService } from './sync.service.js';

/** Syncs run as tasks on the sync worker, one at a time per repository (the gateway reserves it). */
@Injectable()
export class SyncTasksHandler implements OnModuleInit {
  constructor(
    private readonly worker: TaskWorker,
    private readonly syncs: SyncService,
  ) {}

  onModuleInit(): void {
    this.worker.register<SyncTaskPayload>(SYNC_TASK, ({ payload, progress }) =>
      this.syncs.sync(payload, new SyncProgress(progress)),
    );
  }
}
