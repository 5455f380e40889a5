import { type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { RepositoriesController } from './repositories.controller.js';
import { RemotesController } from './remotes.controller.js';
import { AuditController } from './audit.controller.js';
import { TasksController } from './tasks.controller.js';
import { RepositoryActionsController } from './repository-actions.controller.js';
import { TarballImportController } from './tarball-import.controller.js';
import { VersionsController } from './versions.controller.js';
import { BlobsController, ManifestsController, TagsController } from './content.controller.js';
import {
  BlobsFromArtifactController,
  ManifestsFromArtifactController,
} from './content-uploads.controller.js';
import { TaskDispatcher } from './task-dispatcher.js';
import { OrphansController } from './orphans.controller.js';
import { PublicationsController } from './publications.controller.js';
import { DistributionsController } from './distributions.controller.js';
import { PulpExceptionFilter } from './pulp-exception.filter.js';
import { pulpValidationPipe } from './validation.js';
import { pulpHttpConventions } from './pulp-http.middleware.js';
import { jsonBody } from './json-body.middleware.js';
import { AuthModule } from './auth/auth.module.js';
import { OpenApiModule } from './openapi/openapi.module.js';
import { StatusController } from './status.controller.js';
import { UploadsController } from './uploads.controller.js';
import { ArtifactsController } from './artifacts.controller.js';
import { OciLayoutController, ReplicationTargetsController } from './replication.controller.js';

/** The Pulp-shaped REST API. It owns no data: every answer comes from a service over the bus. */
@Module({
  imports: [AuthModule, OpenApiModule],
  controllers: [
    StatusController,
    RepositoriesController,
    RemotesController,
    RepositoryActionsController,
    TarballImportController,
    VersionsController,
    BlobsController,
    ManifestsController,
    TagsController,
    BlobsFromArtifactController,
    ManifestsFromArtifactController,
    AuditController,
    TasksController,
    OrphansController,
    PublicationsController,
    DistributionsController,
    UploadsController,
    ArtifactsController,
    ReplicationTargetsController,
    OciLayoutController,
  ],
  providers: [
    TaskDispatcher,
    { provide: APP_FILTER, useClass: PulpExceptionFilter },
    { provide: APP_PIPE, useValue: pulpValidationPipe },
  ],
})
export class GatewayModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(pulpHttpConventions, jsonBody).forRoutes('*path');
  }
}
