import { runProcess } from '@wharf/runtime';
import { TasksModule } from '@wharf/service-tasks';
import { ContentModule } from '@wharf/service-content';

// The content service alone, for the multi-process mode: NATS, MongoDB (or SQLite) and S3 (or a filesystem).
await runProcess({
  name: 'content',
  defaults: {
    bus: 'nats',
    eventStore: 'mongodb',
    blobStore: 's3',
    httpPortVariable: 'WHARF_HTTP_PORT',
    httpPort: 24820,
  },
  modules: () => [ContentModule, TasksModule],
});
