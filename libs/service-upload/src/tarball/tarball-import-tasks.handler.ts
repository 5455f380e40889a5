import { Injectable, OnModuleInit } from '@nestjs/common';
import { TaskWorker } from '@wharf/runtime';
import {
  IMPORT_TARBALL_TASK,
  TarballImportService,
  type ImportTarballTask,
} from './tarball-import.service.js';

/** Registers tarball import on the upload worker, which holds the artifacts and their bytes. */
@Injectable()
export class TarballImportTasksHandler implements OnModuleInit {
  constructor(
    private readonly worker: TaskWorker,
    private readonly tarballs: TarballImportService,
  ) {}

  onModuleInit(): void {
    this.worker.register<ImportTarballTask>(IMPORT_TARBALL_TASK, async ({ payload }) => ({
      createdResources: await this.tarballs.import(payload),
      result: null,
    }));
  }
}
