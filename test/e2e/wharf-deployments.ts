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
  /** Multi-process only: the directory under which each service keeps its data (`<dataDir>/<service>`). */
  readonly dataDir?: string;
  /**
   * Multi-process only: stops a service's process with SIGTERM, as a rolling restart does, and starts it again
   * with the same settings and data; resolves with the old process's exit code once the new one is ready.
   */
  restart?(service: string): Promise<number | null>;
  /**
   * Multi-process only: one more process of a service with the deployment's settings plus `extraEnv` (a
   * second replica), sharing the service's data as replicas share its database; `stop` stops it too.
   */
  startReplica?(service: string, extraEnv?: Readonly<Record<string, string>>): Promise<WharfProcess>;
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
  // Ports are chosen free and bound a moment later by seven processes, while other test files start servers
  // too: a port taken in between fails one process with EADDRINUSE. Such a start is undone and tried again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startMultiProcessOnce(extraEnv);
    } catch (error) {
      if (attempt >= 3 || !String(error).includes('EADDRINUSE')) throw error;
    }
  }
}

async function startMultiProcessOnce(extraEnv: Readonly<Record<string, string>>): Promise<WharfDeployment> {
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
  const start = (service: string, dir = service, extra: Readonly<Record<string, string>> = {}) =>
    startWharfProcess(service, { ...env, ...extra, WHARF_DATA_DIR: join(dataDir, dir) });
  const started = await Promise.allSettled([...SERVICES.map((service) => start(service)), start('gateway')]);
  const failed = started.find((result) => result.status === 'rejected');
  if (failed) {
    await Promise.all(
      started.map((result) => (result.status === 'fulfilled' ? result.value.stop() : undefined)),
    );
    rmSync(dataDir, { recursive: true, force: true });
    throw failed.reason;
  }
  const processes = started.map((result) => (result as PromiseFulfilledResult<WharfProcess>).value);
  const gateway = processes.find((p) => p.name === 'gateway')!;
  const apiUrl = gateway.url;
  return {
    mode: 'multi-process',
    apiUrl,
    registryUrl: `http://127.0.0.1:${registryPort}`,
    serviceEnv: env,
    dataDir,
    processes,
    api: adminApi(apiUrl),
    async restart(service) {
      const index = processes.findIndex((p) => p.name === service);
      if (index < 0) throw new Error(`no ${service} process in this deployment`);
      const exitCode = await processes[index]!.stop('SIGTERM');
      processes[index] = await startWharfProcess(
        service,
        { ...env, WHARF_DATA_DIR: join(dataDir, service) },
        // The gateway comes back on its port, so the deployment's API URL stays true.
        service === 'gateway' ? { port: gateway.port } : {},
      );
      return exitCode;
    },
    async startReplica(service, extraEnv = {}) {
      const replica = await start(service, service, extraEnv);
      processes.push(replica);
      return replica;
    },
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
