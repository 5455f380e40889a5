import { runProcess } from '@wharf/runtime';
import { AuditModule } from '@wharf/service-audit';

// The audit service alone, for the multi-process mode: NATS, MongoDB (or SQLite) and S3 (or a filesystem).
await runProcess({
  name: 'audit',
  defaults: {
    bus: 'nats',
    eventStore: 'mongodb',
    blobStore: 's3',
    httpPortVariable: 'WHARF_HTTP_PORT',
    httpPort: 24825,
  },
  modules: () => [AuditModule],
});
