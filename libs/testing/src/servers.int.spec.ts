import { describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';

describe('test harness', () => {
  it('hands every test file a running nats-server and S3 server', async () => {
    const nc = await connect({ servers: process.env.NATS_URL });
    expect(nc.info?.jetstream).toBe(true);
    await nc.close();
    const response = await fetch(`${process.env.WHARF_TEST_S3_URL}/${process.env.WHARF_TEST_S3_BUCKET}`);
    expect(response.status).toBe(200);
  });
});
