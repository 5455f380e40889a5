import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from './servers.js';

export interface WharfProcess {
  readonly name: string;
  /** Base URL of the process's HTTP server (the API for gateway and all-in-one, health elsewhere). */
  readonly url: string;
  readonly port: number;
  /** Everything the process printed so far, for assertions and for failure messages. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const repoRoot = join(import.meta.dirname, '..', '..', '..');

/**
 * The REST API's admin password and the secret key every process a test starts gets, unless the test's env
 * sets them (an empty value unsets one). Random per test run, so a test can assert they never appear in
 * a process's output.
 */
export const TEST_ADMIN_PASSWORD = randomBytes(12).toString('hex');
export const TEST_SECRET_KEY = randomBytes(32).toString('base64');

/** An `Authorization` header value for HTTP Basic; the test admin's by default. */
export function basicAuthorization(password = TEST_ADMIN_PASSWORD, username = 'admin'): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/**
 * Runs one built Wharf app (`apps/<app>/dist/main.js`) as its own process, as production does, and waits until
 * its /readyz answers 200. `npm test` builds first; running vitest alone needs `npm run build`.
 */
export async function startWharfProcess(
  app: string,
  env: Record<string, string>,
  /** `port`: listen there rather than on a free port, e.g. to come back where a restarted process was. */
  options: { portVariable?: string; readyTimeoutMs?: number; port?: number } = {},
): Promise<WharfProcess> {
  const main = join(repoRoot, 'apps', app, 'dist', 'main.js');
  if (!existsSync(main))
    throw new Error(`${main} is missing: run \`npm run build\` before the end-to-end tests`);
  const port = options.port ?? (await freePort());
  // A registry asked to take "any port" would race the HTTP port chosen here (the kernel may hand the same
  // just-released port to both), so it gets a free port of its own, different from the HTTP one.
  if (env.WHARF_REGISTRY_PORT === '0') {
    let registryPort = await freePort();
    while (registryPort === port) registryPort = await freePort();
    env = { ...env, WHARF_REGISTRY_PORT: String(registryPort) };
  }
  const portVariable =
    options.portVariable ?? (app === 'gateway' || app === 'wharf' ? 'WHARF_API_PORT' : 'WHARF_HTTP_PORT');
  let output = '';
  const child: ChildProcess = spawn(process.execPath, [main], {
    env: {
      ...process.env,
      WHARF_HTTP_HOST: '127.0.0.1',
      WHARF_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      WHARF_SECRET_KEY: TEST_SECRET_KEY,
      ...env,
      [portVariable]: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${app} exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${url}/readyz`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${app} was not ready in time:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name: app,
    url,
    port,
    output: () => output,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }
      return exited;
    },
  };
}
