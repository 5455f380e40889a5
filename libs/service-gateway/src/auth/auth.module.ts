import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Infrastructure } from '@wharf/runtime';
import { AdminCredentials } from './admin-credentials.js';
import { BasicAuthGuard } from './basic-auth.guard.js';

/** HTTP Basic for the REST API; the guard is global, so every controller of the gateway is covered. */
@Module({
  providers: [
    {
      provide: AdminCredentials,
      useFactory: (infrastructure: Infrastructure) => AdminCredentials.fromSettings(infrastructure.settings),
      inject: [Infrastructure],
    },
    { provide: APP_GUARD, useClass: BasicAuthGuard },
  ],
})
export class AuthModule {}
