import { Injectable, OnModuleInit } from '@nestjs/common';
import { TaskWorker } from '@wharf/runtime';
import {
  ARTIFACT_CONTENT_TASK,
  ArtifactContentService,
  type ArtifactContentTask,
} from './artifact-content.service.js';

/** Registers content-from-artifact on the upload worker, which holds the artifacts and their bytes. */
@Injectable()
export class ArtifactContentTasksHandler implements OnModuleInit {
  constructor(
    private readonly worker: TaskWorker,
    private readonly content: ArtifactContentService,
  ) {}

  onModuleInit(): void {
    this.worker.register<ArtifactContentTask>(ARTIFACT_CONTENT_TASK, async ({ payload }) => ({
      createdResources: await this.content.create(payload),
      result: null,
    }));
  }
}
