import { Injectable, OnModuleInit } from '@nestjs/common';
import { TaskWorker, type TaskOutcome } from '@wharf/runtime';
import {
  repositoryVersionHref,
  type ContentTaskPayload,
  type ContentWriteOperation,
  type VersionWriteResult,
} from '@wharf/contracts';
import { ContentWrites } from './content-writes.js';

/** Pulp's task names for content writes; the payload says which write. */
export const CONTENT_TASK_NAMES = [
  'pulpcore.app.tasks.base.general_update',
  'pulpcore.app.tasks.base.general_delete',
  'pulpcore.app.tasks.repository.add_and_remove',
  'pulp_container.app.tasks.recursive_add_content',
  'pulp_container.app.tasks.recursive_remove_content',
  'pulp_container.app.tasks.tag_image',
  'pulp_container.app.tasks.untag_image',
  'pulpcore.app.tasks.repository.delete_version',
  'pulpcore.app.tasks.orphan.orphan_cleanup',
  'wharf.tasks.rollback',
] as const;

/** Runs content writes queued as tasks (the gateway's repository actions), one repository at a time. */
@Injectable()
export class ContentTasksHandler implements OnModuleInit {
  constructor(
    private readonly worker: TaskWorker,
    private readonly writes: ContentWrites,
  ) {}

  onModuleInit(): void {
    for (const name of CONTENT_TASK_NAMES) {
      this.worker.register<ContentTaskPayload>(name, async ({ payload }) => {
        const result = await this.writes.run(payload.operation, payload.request, new Date());
        return outcome(payload.operation, result);
      });
    }
  }
}

/** A write that made a version reports it as the task's created resource, as Pulp does. */
function outcome(operation: ContentWriteOperation, result: unknown): TaskOutcome {
  if (operation.startsWith('content.version.') && operation !== 'content.version.delete') {
    const { version, created } = result as VersionWriteResult;
    return {
      createdResources: created ? [repositoryVersionHref(version.repositoryId, version.number)] : [],
      result: null,
    };
  }
  return { result: operation === 'content.orphans.cleanup' ? result : null };
}
