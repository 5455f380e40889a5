import { Injectable, OnModuleInit } from '@nestjs/common';
import { TaskWorker } from '@wharf/runtime';
import {
  DISTRIBUTION_TASKS,
  distributionHref,
  type CreateDistributionTask,
  type DeleteDistributionTask,
  type UpdateDistributionTask,
} from '@wharf/contracts';
import { DistributionsService } from './distributions.service.js';

/** The distribution worker's tasks: thin, the service does the work. */
@Injectable()
export class DistributionTasksHandler implements OnModuleInit {
  constructor(
    private readonly worker: TaskWorker,
    private readonly distributions: DistributionsService,
  ) {}

  onModuleInit(): void {
    this.worker.register<CreateDistributionTask>(DISTRIBUTION_TASKS.create, async ({ payload }) => {
      const distribution = await this.distributions.create(payload, new Date());
      return { createdResources: [distributionHref(distribution.id)] };
    });
    this.worker.register<UpdateDistributionTask>(DISTRIBUTION_TASKS.update, async ({ payload }) => {
      await this.distributions.update(payload, new Date());
    });
    this.worker.register<DeleteDistributionTask>(DISTRIBUTION_TASKS.delete, async ({ payload }) => {
      await this.distributions.delete(payload.distributionId, new Date());
    });
  }
}
