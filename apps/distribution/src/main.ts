import { runProcess } from '@wharf/runtime';
import { DistributionModule } from '@wharf/service-distribution';

// The distribution service alone, for the multi-process mode: NATS, MongoDB (or SQLite) and S3 (or a filesystem).
await runProcess({
  name: 'distribution',
  defaults: {
    bus: 'nats',
    eventStore: 'mongodb',
    blobStore: 's3',
    httpPortVariable: 'WHARF_HTTP_PORT',
    httpPort: 24824,
  },
  modules: () => [DistributionModule],
});
