import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { basicAuthorization, freePort, startWharfProcess, type WharfProcess } from '@wharf/testing';

/** A running Wharf, in one of its two runtime modes, reached through its REST API. */
export interface WharfDeployment {
  readonly mode: 'all-in-one' | 'multi-process';
  readonly apiUrl: string;
  /** The registry API (OCI distribution) that docker, podman and skopeo pull from. */
  readonly registryUrl: string;
  readonly processes: readonly WharfProcess[];
  /** `fetch` on the REST API as the test admin; an Authorization header in `init` replaces the admin's. */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** Multi-process only: the bus and S3 settings its services share, for tests that act as another service. */
  readonly serviceEnv?: Readonly<Record<string, string>>;
  stop(): Promise<void>;
}

function adminApi(apiUrl: string): WharfDeployment['api'] {
  return (path, init = {}) => {
    const headers = new Headers(init.headers);
    if (!headers.has('authorization')) headers.set('Authorization', basicAuthorization());
    return fetch(`${apiUrl}${path}`, { ...init, headers });
  };
}

export const SERVICES = ['content', 'audit', 'sync', 'upload', 'publication', 'distribution'] as const;

/** `npm start`'s process: every service on the embedded adapters under one data directory. */
export async function startAllInOne(
  extraEnv: Readonly<Record<string, string>> = {},
): Promise<WharfDeployment> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wharf-aio-'));
  // A fixed free port rather than 0, so the test knows where the registry listens.
  const registryPort = await freePort();
  const wharf = await startWharfProcess('wharf', {
    WHARF_DATA_DIR: dataDir,
    WHARF_REGISTRY_PORT: String(registryPort),
    ...extraEnv,
  });
  return {
    mode: 'all-in-one',
    apiUrl: wharf.url,
    registryUrl: `http://127.0.0.1:${registryPort}`,
    processes: [wharf],
    api: adminApi(wharf.url),
    async stop() {
      await wharf.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Every service as its own process, as on Kubernetes: the real nats-server and S3 server of the test run,
 * a SQLite file per service that owns data (MongoDB is not available here), and a fresh JetStream prefix so
 * deployments in one test run never see each other's messages.
 */
export async function startMultiProcess(
  extraEnv: Readonly<Record<string, string>> = {},
): Promise<WharfDeployment> {
  const dataDir = mkdtempSync(join(tmpdir(), 'wharf-mp-'));
  const registryPort = await freePort();
  const env = {
    WHARF_BUS: 'nats',
    NATS_URL: requiredEnv('NATS_URL'),
    WHARF_NATS_STREAM_PREFIX: `wharf${randomBytes(4).toString('hex')}`,
    WHARF_EVENT_STORE: 'sqlite',
    WHARF_BLOB_STORE: 's3',
    WHARF_S3_URL: requiredEnv('WHARF_TEST_S3_URL'),
    WHARF_S3_BUCKET: requiredEnv('WHARF_TEST_S3_BUCKET'),
    WHARF_S3_ACCESS_KEY: 'S3RVER',
    WHARF_S3_SECRET_KEY: 'S3RVER',
    // Only the distribution service listens on it.
    WHARF_REGISTRY_PORT: String(registryPort),
    ...extraEnv,
  };
  const processes = await Promise.all([
    ...SERVICES.map((service) =>
      startWharfProcess(service, { ...env, WHARF_DATA_DIR: join(dataDir, service) }),
    ),
    startWharfProcess('gateway', { ...env, WHARF_DATA_DIR: join(dataDir, 'gateway') }),
  ]);
  const apiUrl = processes.find((p) => p.name === 'gateway')!.url;
  return {
    mode: 'multi-process',
    apiUrl,
    registryUrl: `http://127.0.0.1:${registryPort}`,
    serviceEnv: env,
    processes,
    api: adminApi(apiUrl),
    async stop() {
      await Promise.all(processes.map((p) => p.stop()));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `${name} is not set: run the tests through vitest so the global setup starts the servers`,
    );
  return value;
}

/** Polls `probe` until it returns a value, or fails after `timeoutMs` with `what` in the message. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
