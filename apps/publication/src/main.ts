import { runProcess } from '@wharf/runtime';
import { PublicationModule } from '@wharf/service-publication';

// The publication service alone, for the multi-process mode: NATS, MongoDB (or SQLite) and S3 (or a filesystem).
await runProcess({
  name: 'publication',
  defaults: {
    bus: 'nats',
    eventStore: 'mongodb',
    blobStore: 's3',
    httpPortVariable: 'WHARF_HTTP_PORT',
    httpPort: 24823,
  },
  modules: () => [PublicationModule],
});
