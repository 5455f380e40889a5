import { spawn, type ChildProcess, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';

/** A server the harness started; `stop` ends it and removes its files. */
export interface StartedServer {
  readonly url: string;
  stop(): Promise<void>;
}

// Ports handed out by this process: a port is free only until someone binds it, and callers often pick several
// before starting the servers that bind them, so the kernel could hand the same released port out twice.
const handedOut = new Set<number>();

/** A port nothing listens on now, never one this process handed out before. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await unusedPort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Fails with an install hint when a server binary the tests need is missing. */
export function requireBinary(binary: string, debianPackage: string): string {
  for (const dir of ['/usr/sbin', '/usr/bin', '/usr/local/bin', '/usr/local/sbin']) {
    try {
      execFileSync('test', ['-x', join(dir, binary)]);
      return join(dir, binary);
    } catch {
      // try the next directory
    }
  }
  throw new Error(
    `${binary} is not installed; the tests need the real server. Install it with: apt-get install -y ${debianPackage}`,
  );
}

export async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listened on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
  });
}

export interface NatsServerOptions {
  /** Restart on a known port and store (outage tests); default a free port and a fresh directory. */
  readonly port?: number;
  readonly storeDir?: string;
  /** Keep the store directory when stopping, so a restart finds its streams again. */
  readonly keepStore?: boolean;
}

/** Debian's nats-server with JetStream on a free port, its store in a fresh temporary directory. */
export async function startNatsServer(
  options: NatsServerOptions = {},
): Promise<StartedServer & { port: number; storeDir: string }> {
  const binary = requireBinary('nats-server', 'nats-server');
  const port = options.port ?? (await freePort());
  const storeDir = options.storeDir ?? mkdtempSync(join(tmpdir(), 'wharf-nats-'));
  const child = spawn(binary, ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir], {
    stdio: 'ignore',
  });
  await waitForPort(port);
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    async stop() {
      await stopChild(child);
      if (!options.keepStore) rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

interface S3rverStore {
  getResourcePath(bucket: string, key: string, resource: string): string;
  deleteObject(bucket: string, key: string): Promise<void>;
}

/**
 * s3rver removes a key's parent directories once they are empty. That races concurrent puts under the same
 * prefix (a put creates the directory, a delete removes it, the put's write fails with ENOENT — an unhandled
 * error that takes the whole test process down). A test server loses nothing by keeping empty directories, so
 * deletes here only remove the object's files. Real S3 and MinIO have no directories to race on.
 */
function keepDirectoriesOnDelete(server: unknown): void {
  const store = (server as { store: S3rverStore }).store;
  store.deleteObject = async (bucket, key) => {
    await Promise.all(
      ['object', 'object.md5', 'metadata.json'].map((resource) =>
        unlink(store.getResourcePath(bucket, key, resource)).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
        }),
      ),
    );
  };
}

/** s3rver (an S3-compatible server from npm) in this process, with one bucket. */
export async function startS3Server(bucket = 'wharf'): Promise<StartedServer & { bucket: string }> {
  const { default: S3rver } = await import('s3rver');
  const directory = mkdtempSync(join(tmpdir(), 'wharf-s3-'));
  const port = await freePort();
  const server = new S3rver({
    port,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  keepDirectoriesOnDelete(server);
  await server.run();
  return {
    url: `http://127.0.0.1:${port}`,
    bucket,
    async stop() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
