import { Injectable, OnModuleInit } from '@nestjs/common';
import { TaskWorker } from '@wharf/runtime';
import { UPLOAD_TASKS, artifactHref, type CommitUploadTask } from '@wharf/contracts';
import { UploadsService } from './uploads.service.js';

/** The upload worker's tasks: thin, the service does the work. */
@Injectable()
export class UploadTasksHandler implements OnModuleInit {
  constructor(
    private readonly worker: TaskWorker,
    private readonly uploads: UploadsService,
  ) {}

  onModuleInit(): void {
    this.worker.register<CommitUploadTask>(UPLOAD_TASKS.commit, async ({ payload }) => {
      const artifact = await this.uploads.commit(payload, new Date());
      return { createdResources: [artifactHref(artifact.id)] };
    });
  }
}
