import type { TestProject } from 'vitest/node';
import { startNatsServer, startS3Server, type StartedServer } from './servers.js';

/**
 * Starts the real servers once for the whole test run and hands their addresses to every test file
 * through environment variables (inherited by test workers and by service processes tests spawn).
 * NATS_URL set by the caller is used as it is.
 */
export default async function setup(_project: TestProject): Promise<() => Promise<void>> {
  const started: StartedServer[] = [];
  if (!process.env.NATS_URL) {
    const nats = await startNatsServer();
    started.push(nats);
    process.env.NATS_URL = nats.url;
  }
  const s3 = await startS3Server();
  started.push(s3);
  process.env.WHARF_TEST_S3_URL = s3.url;
  process.env.WHARF_TEST_S3_BUCKET = s3.bucket;
  return async () => {
    await Promise.all(started.map((s) => s.stop()));
  };
}
