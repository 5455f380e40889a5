import { runProcess } from '@wharf/runtime';
import { TasksModule } from '@wharf/service-tasks';
import { GatewayModule } from '@wharf/service-gateway';
import { ContentModule } from '@wharf/service-content';
import { AuditModule } from '@wharf/service-audit';
import { SyncModule } from '@wharf/service-sync';
import { UploadModule } from '@wharf/service-upload';
import { PublicationModule } from '@wharf/service-publication';
import { DistributionModule } from '@wharf/service-distribution';
import { withLocalSecrets } from './local-secrets.js';

// Every service in one process on the embedded adapters (in-process bus, SQLite, local files), all state
// under WHARF_DATA_DIR. The same modules as the multi-process mode: only the adapters differ.
await runProcess({
  name: 'wharf',
  // Secrets the environment does not set are made on first start and kept in the data directory.
  env: withLocalSecrets(process.env),
  defaults: {
    bus: 'memory',
    eventStore: 'sqlite',
    blobStore: 'fs',
    httpPortVariable: 'WHARF_API_PORT',
    httpPort: 24817,
    requiredSecrets: ['WHARF_ADMIN_PASSWORD', 'WHARF_SECRET_KEY'],
  },
  modules: () => [
    GatewayModule,
    TasksModule,
    ContentModule,
    AuditModule,
    SyncModule,
    UploadModule,
    PublicationModule,
    DistributionModule,
  ],
});
