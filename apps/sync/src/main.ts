import { runProcess } from '@wharf/runtime';
import { SyncModule } from '@wharf/service-sync';

// The sync service alone, for the multi-process mode: NATS, MongoDB (or SQLite) and S3 (or a filesystem).
await runProcess({
  name: 'sync',
  defaults: {
    bus: 'nats',
    eventStore: 'mongodb',
    blobStore: 's3',
    httpPortVariable: 'WHARF_HTTP_PORT',
    httpPort: 24821,
  },
  modules: () => [SyncModule],
});
