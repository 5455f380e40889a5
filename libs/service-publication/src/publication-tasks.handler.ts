import { Injectable, OnModuleInit } from '@nestjs/common';
import { TaskWorker } from '@wharf/runtime';
import {
  PUBLICATION_TASKS,
  publicationHref,
  type CreatePublicationTask,
  type DeletePublicationTask,
} from '@wharf/contracts';
import { PublicationsService } from './publications.service.js';

/** The publication worker's tasks: thin, the service does the work. */
@Injectable()
export class PublicationTasksHandler implements OnModuleInit {
  constructor(
    private readonly worker: TaskWorker,
    private readonly publications: PublicationsService,
  ) {}

  onModuleInit(): void {
    this.worker.register<CreatePublicationTask>(PUBLICATION_TASKS.create, async ({ payload }) => {
      const publication = await this.publications.create(payload, new Date());
      return { createdResources: [publicationHref(publication.id)] };
    });
    this.worker.register<DeletePublicationTask>(PUBLICATION_TASKS.delete, async ({ payload }) => {
      await this.publications.delete(payload.publicationId, new Date());
    });
  }
}
