import { type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { RepositoriesController } from './repositories.controller.js';
import { AuditController } from './audit.controller.js';
import { TasksController } from './tasks.controller.js';
import { PulpExceptionFilter } from './pulp-exception.filter.js';
import { pulpValidationPipe } from './validation.js';
import { pulpHttpConventions } from './pulp-http.middleware.js';
import { jsonBody } from './json-body.middleware.js';

/** The Pulp-shaped REST API. It owns no data: every answer comes from a service over the bus. */
@Module({
  controllers: [RepositoriesController, AuditController, TasksController],
  providers: [
    { provide: APP_FILTER, useClass: PulpExceptionFilter },
    { provide: APP_PIPE, useValue: pulpValidationPipe },
  ],
})
export class GatewayModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(pulpHttpConventions, jsonBody).forRoutes('*path');
  }
}
