import { Injectable, OnModuleInit } from '@nestjs/common';
import { TaskWorker } from '@wharf/runtime';
import {
  REMOTE_DELETE_TASK,
  REMOTE_UPDATE_TASK,
  type RemoteDeleteTaskPayload,
  type RemoteUpdateTaskPayload,
} from '@wharf/contracts';
import { RemotesService } from './remotes.service.js';

/** Remote updates and deletions run as tasks, as in Pulp (the gateway answers 202 with the task). */
@Injectable()
export class RemoteTasksHandler implements OnModuleInit {
  constructor(
    private readonly worker: TaskWorker,
    private readonly remotes: RemotesService,
  ) {}

  onModuleInit(): void {
    this.worker.register<RemoteUpdateTaskPayload>(REMOTE_UPDATE_TASK, ({ payload }) =>
      this.remotes.update(payload, new Date()),
    );
    this.worker.register<RemoteDeleteTaskPayload>(REMOTE_DELETE_TASK, ({ payload }) =>
      this.remotes.delete(payload, new Date()),
    );
  }
}
