import { runProcess } from '@wharf/runtime';
import { UploadModule } from '@wharf/service-upload';

// The upload service alone, for the multi-process mode: NATS, MongoDB (or SQLite) and S3 (or a filesystem).
await runProcess({
  name: 'upload',
  defaults: {
    bus: 'nats',
    eventStore: 'mongodb',
    blobStore: 's3',
    httpPortVariable: 'WHARF_HTTP_PORT',
    httpPort: 24822,
  },
  modules: () => [UploadModule],
});
