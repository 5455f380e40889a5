import { runProcess } from '@wharf/runtime';
import { GatewayModule } from '@wharf/service-gateway';

// The REST gateway alone: it owns no data and reaches the services over NATS only.
await runProcess({
  name: 'gateway',
  defaults: {
    bus: 'nats',
    eventStore: 'mongodb',
    blobStore: 's3',
    httpPortVariable: 'WHARF_API_PORT',
    httpPort: 24817,
    requiredSecrets: ['WHARF_ADMIN_PASSWORD'],
  },
  modules: () => [GatewayModule],
});
