import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { blobsOf, manifestsOf, type FixtureManifest } from './fixtures/images.js';
import { RegistryTokenIssuer } from './registry-token-issuer.js';

export * from './registry-front.js';
export {
  RegistryTokenIssuer,
  type RegistryTokenIssuerOptions,
  type ResourceAccess,
  type TokenRequestRecord,
} from './registry-token-issuer.js';
import { createSelfSignedCertificate } from './self-signed-certificate.js';
import { freePort, requireBinary, waitForPort, type StartedServer } from './servers.js';

/**
 * Debian's docker-registry (distribution, the reference registry) on a free port of 127.0.0.1, with
 * filesystem storage in a temporary directory: the upstream registry tests sync from. Three auth modes:
 * anonymous, htpasswd (bcrypt) and token (a RegistryTokenIssuer in this process).
 */
export type DockerRegistryAuth = 'none' | 'htpasswd' | 'token';

export interface DockerRegistryOptions {
  readonly auth?: DockerRegistryAuth;
  /** Credentials htpasswd and the token issuer accept; default `wharf` and a random password. */
  readonly username?: string;
  readonly password?: string;
  /** Lifetime of the token issuer's tokens (token auth only); default 300 s. */
  readonly tokenExpiresInSeconds?: number;
  /** Token auth: grant pull without credentials, as public registries do. */
  readonly anonymousPull?: boolean;
  /** Serve HTTPS with a self-signed certificate for 127.0.0.1 (its PEM is `caCertificate`). */
  readonly tls?: boolean;
  /**
   * Accept manifest and blob DELETEs (default true). False is docker-registry's own default, which answers
   * 405 UNSUPPORTED, as many production registries do.
   */
  readonly deletes?: boolean;
  /**
   * Record every request the registry answers (from its access log) in `requests`. For counting requests
   * without a proxy in the way, whose extra hop would slow the client being measured.
   */
  readonly recordRequests?: boolean;
}

/** One request as the registry's access log shows it. */
export interface RegistryAccessLogEntry {
  readonly method: string;
  /** Path and query, as the client sent them. */
  readonly url: string;
  readonly status: number;
}

export interface StartedDockerRegistry extends StartedServer {
  readonly port: number;
  readonly auth: DockerRegistryAuth;
  readonly username: string;
  readonly password: string;
  /** The registry's filesystem storage root (tests corrupt blobs here). */
  readonly storageDirectory: string;
  /** Whether this registry version accepts Docker schema 1 manifests (2.x with compatibility enabled). */
  readonly acceptsSchema1: boolean;
  readonly caCertificate?: string;
  readonly tokenIssuer?: RegistryTokenIssuer;
  /** Where the registry keeps a blob's bytes. */
  blobDataPath(digest: string): string;
  /** An Authorization header value allowing every action on `repository` (undefined without auth). */
  authorizationFor(repository: string): string | undefined;
  /** What the registry printed (errors only), for failure messages. */
  output(): string;
  /** Every request answered so far, oldest first; empty unless started with `recordRequests`. */
  readonly requests: readonly RegistryAccessLogEntry[];
}

const TOKEN_SERVICE = 'wharf-test-registry';
const TOKEN_ISSUER = 'wharf-test-token-issuer';
const OUTPUT_LIMIT = 64 * 1024;

export async function startDockerRegistry(
  options: DockerRegistryOptions = {},
): Promise<StartedDockerRegistry> {
  const binary = requireBinary('docker-registry', 'docker-registry');
  const auth = options.auth ?? 'none';
  const username = options.username ?? 'wharf';
  const password = options.password ?? randomBytes(12).toString('base64url');
  const directory = mkdtempSync(join(tmpdir(), 'wharf-registry-'));
  const storageDirectory = join(directory, 'storage');
  const port = await freePort();
  const acceptsSchema1 = registryMajorVersion(binary) === 2;

  const tokenIssuer =
    auth === 'token'
      ? await RegistryTokenIssuer.start({
          directory,
          service: TOKEN_SERVICE,
          issuer: TOKEN_ISSUER,
          username,
          password,
          expiresInSeconds: options.tokenExpiresInSeconds,
          anonymousPull: options.anonymousPull,
        })
      : undefined;
  const certificate = options.tls
    ? createSelfSignedCertificate(directory, 'registry-tls', {
        commonName: '127.0.0.1',
        ipAddress: '127.0.0.1',
      })
    : undefined;

  const config = {
    version: '0.1',
    log: { level: 'error', accesslog: { disabled: !options.recordRequests } },
    storage: {
      filesystem: { rootdirectory: storageDirectory },
      delete: { enabled: options.deletes ?? true },
      maintenance: { uploadpurging: { enabled: false } },
    },
    http: {
      addr: `127.0.0.1:${port}`,
      secret: randomBytes(16).toString('hex'),
      ...(certificate && { tls: { certificate: certificate.certificatePath, key: certificate.keyPath } }),
    },
    ...(auth === 'htpasswd' && {
      auth: { htpasswd: { realm: 'wharf-test', path: writeHtpasswd(directory, username, password) } },
    }),
    ...(tokenIssuer && {
      auth: {
        token: {
          realm: tokenIssuer.realm,
          service: TOKEN_SERVICE,
          issuer: TOKEN_ISSUER,
          rootcertbundle: tokenIssuer.rootCertificatePath,
        },
      },
    }),
    ...(acceptsSchema1 && { compatibility: { schema1: { enabled: true } } }),
  };
  // JSON is YAML, so no YAML writer is needed.
  const configPath = join(directory, 'config.yml');
  writeFileSync(configPath, JSON.stringify(config, null, 2));

  const child = spawn(binary, ['serve', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
  };
  const requests: RegistryAccessLogEntry[] = [];
  // The access log goes to stdout, one line per request; errors go to stderr.
  if (options.recordRequests) child.stdout?.pipe(new AccessLogReader(requests));
  else child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  try {
    await waitForRegistry(child, port, () => output);
  } catch (error) {
    await stopChild(child);
    await tokenIssuer?.stop();
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }

  const url = `${certificate ? 'https' : 'http'}://127.0.0.1:${port}`;
  return {
    url,
    port,
    auth,
    username,
    password,
    storageDirectory,
    acceptsSchema1,
    caCertificate: certificate?.certificatePem,
    tokenIssuer,
    blobDataPath: (digest) => blobDataPath(storageDirectory, digest),
    authorizationFor(repository) {
      if (auth === 'htpasswd') return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
      if (!tokenIssuer) return undefined;
      const access = [{ type: 'repository', name: repository, actions: ['pull', 'push', 'delete'] }];
      return `Bearer ${tokenIssuer.mintToken(username, access)}`;
    },
    output: () => output,
    requests,
    async stop() {
      await stopChild(child);
      await tokenIssuer?.stop();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * Parses docker-registry's access log (Apache combined format, e.g.
 * `127.0.0.1 - - [04/Dec/2026:21:00:00 +0000] "HEAD /v2/app/manifests/v1 HTTP/1.1" 200 0 "" "agent"`)
 * into entries, line by line as the lines arrive.
 */
class AccessLogReader extends Writable {
  private pending = '';

  constructor(private readonly entries: RegistryAccessLogEntry[]) {
    super();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    const lines = (this.pending + chunk.toString('utf8')).split('\n');
    this.pending = lines.pop() ?? '';
    for (const line of lines) {
      const match = /"([A-Z]+) (\S+) HTTP\/[\d.]+" (\d{3}) /.exec(line);
      if (match) this.entries.push({ method: match[1], url: match[2], status: Number(match[3]) });
    }
    done();
  }
}

/** distribution's filesystem layout: blobs/<algorithm>/<first two hex>/<hex>/data. */
function blobDataPath(storageDirectory: string, digest: string): string {
  const [algorithm, hex] = digest.split(':');
  return join(storageDirectory, 'docker/registry/v2/blobs', algorithm, hex.slice(0, 2), hex, 'data');
}

function registryMajorVersion(binary: string): number {
  // Prints e.g. "/usr/bin/docker-registry github.com/docker/distribution 2.8.2+ds1".
  const printed = execFileSync(binary, ['--version'], { encoding: 'utf8' });
  const match = /\sv?(\d+)\.\d+\.\d+/.exec(printed);
  return match ? Number(match[1]) : 0;
}

/** docker-registry checks htpasswd entries with bcrypt only. */
function writeHtpasswd(directory: string, username: string, password: string): string {
  const path = join(directory, 'htpasswd');
  writeFileSync(path, `${username}:${bcryptHash(password)}\n`);
  return path;
}

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * bcryptjs is not installed and neither is apache2-utils' htpasswd, so the hash comes from the C library's
 * crypt(3) (libxcrypt on Debian supports bcrypt), reached through perl. The password travels in the
 * environment rather than argv, where other processes could read it.
 */
function bcryptHash(password: string): string {
  const htpasswd = ['/usr/bin/htpasswd', '/usr/sbin/htpasswd'].find((path) => isExecutable(path));
  if (htpasswd) {
    return execFileSync(htpasswd, ['-niB', '-C', '5', 'user'], { input: password, encoding: 'utf8' })
      .trim()
      .slice('user:'.length);
  }
  const perl = requireBinary('perl', 'perl');
  const random = randomBytes(21);
  // The last of the 22 salt characters carries only 2 significant bits; keep it canonical.
  const salt =
    Array.from(random, (byte) => BCRYPT_ALPHABET[byte % 64]).join('') + '.Oeu'[randomBytes(1)[0] % 4];
  const hash = execFileSync(perl, ['-e', 'print crypt($ENV{WHARF_PASSWORD}, $ENV{WHARF_SALT})'], {
    env: { WHARF_PASSWORD: password, WHARF_SALT: `$2b$05$${salt}` },
    encoding: 'utf8',
  });
  if (!hash.startsWith('$2b$05$')) {
    throw new Error(
      'crypt(3) here does not support bcrypt; install apache2-utils (htpasswd) for htpasswd tests',
    );
  }
  return hash;
}

function isExecutable(path: string): boolean {
  try {
    execFileSync('test', ['-x', path]);
    return true;
  } catch {
    return false;
  }
}

async function waitForRegistry(child: ChildProcess, port: number, output: () => string): Promise<void> {
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`docker-registry exited with code ${code} while starting:\n${output()}`)),
    ),
  );
  exited.catch(() => undefined);
  await Promise.race([waitForPort(port), exited]);
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
  });
}

interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** Plain node:http, so fixtures reach the registry without going through the client under test. */
function rawRequest(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: Uint8Array | undefined,
  ca: string | undefined,
): Promise<RawResponse> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(url, { method, headers, ca }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }),
      );
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * Pushes a fixture image (any kind: image, index with its children, artifact, schema 1) under `tag`:
 * every blob (POST then monolithic PUT), then every manifest children first, the top one by tag.
 */
export async function pushImage(
  registry: StartedDockerRegistry | string,
  name: string,
  tag: string,
  image: FixtureManifest,
): Promise<void> {
  const base = typeof registry === 'string' ? registry : registry.url;
  const ca = typeof registry === 'string' ? undefined : registry.caCertificate;
  const authorization = typeof registry === 'string' ? undefined : registry.authorizationFor(name);
  const authHeaders: Record<string, string> = authorization ? { Authorization: authorization } : {};
  const requireStatus = (response: RawResponse, status: number, what: string) => {
    if (response.status !== status) {
      throw new Error(
        `pushing ${what} to ${base}/${name}: expected ${status}, got ${response.status} ${response.body.toString('utf8')}`,
      );
    }
  };

  for (const blob of blobsOf(image)) {
    const started = await rawRequest(
      new URL(`/v2/${name}/blobs/uploads/`, base),
      'POST',
      authHeaders,
      undefined,
      ca,
    );
    requireStatus(started, 202, `blob ${blob.digest}`);
    const location = new URL(String(started.headers.location), base);
    location.searchParams.set('digest', blob.digest);
    const headers = {
      ...authHeaders,
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(blob.size),
    };
    requireStatus(await rawRequest(location, 'PUT', headers, blob.bytes, ca), 201, `blob ${blob.digest}`);
  }
  for (const manifest of manifestsOf(image)) {
    const reference = manifest === image ? tag : manifest.digest;
    const url = new URL(`/v2/${name}/manifests/${reference}`, base);
    const headers = { ...authHeaders, 'Content-Type': manifest.mediaType };
    requireStatus(await rawRequest(url, 'PUT', headers, manifest.bytes, ca), 201, `manifest ${reference}`);
  }
}
