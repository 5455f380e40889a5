import { describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { startDockerRegistry } from './registry.js';

describe('test harness', () => {
  it('hands every test file a running nats-server and S3 server', async () => {
    const nc = await connect({ servers: process.env.NATS_URL });
    expect(nc.info?.jetstream).toBe(true);
    await nc.close();
    const response = await fetch(`${process.env.WHARF_TEST_S3_URL}/${process.env.WHARF_TEST_S3_BUCKET}`);
    expect(response.status).toBe(200);
  });
});

describe('docker-registry started with recordRequests', () => {
  it('lists the requests it answered, from its access log', async () => {
    const registry = await startDockerRegistry({ recordRequests: true });
    try {
      await (await fetch(`${registry.url}/v2/`, { method: 'HEAD' })).arrayBuffer();
      await (await fetch(`${registry.url}/v2/team/app/manifests/v1?x=1`)).arrayBuffer();
      await expect
        .poll(() => registry.requests, { timeout: 5_000 })
        .toEqual([
          { method: 'HEAD', url: '/v2/', status: 200 },
          { method: 'GET', url: '/v2/team/app/manifests/v1?x=1', status: 404 },
        ]);
    } finally {
      await registry.stop();
    }
  });
});
