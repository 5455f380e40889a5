import { randomBytes } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fixtureBlob,
  pushImage,
  randomImage,
  sha256Of,
  startDockerRegistry,
  startRegistryFront,
  type FixtureImage,
  type StartedDockerRegistry,
  type StartedRegistryFront,
} from '@wharf/testing';
import {
  DigestMismatchError,
  ManifestTooLargeError,
  RegistryClient,
  RegistryError,
  TruncatedContentError,
  type RegistryClientOptions,
  type RequestKind,
} from './index.js';

// Small HTTP servers playing the parts docker-registry cannot: blob storage behind a redirect, broken
// bodies, forward proxies. Each records what it received. Faults come from the harness's registry front.

interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

interface TestServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  readonly server: Server;
  close(): Promise<void>;
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

async function startServer(handler: Handler): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  const server = createServer((request, response) => {
    requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers });
    void handler(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    server,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function countingClient(options: RegistryClientOptions) {
  const requests: Array<{ method: string; kind: RequestKind; url: string }> = [];
  const client = new RegistryClient({
    ...options,
    onRequest: (method, kind, url) => requests.push({ method, kind, url }),
  });
  return { client, requests };
}

async function readAll(stream: Readable): Promise<Buffer> {
  return Buffer.concat(await stream.toArray());
}

describe('RegistryClient over HTTP', () => {
  let registry: StartedDockerRegistry;
  let front: StartedRegistryFront;
  const image: FixtureImage = randomImage({ layers: 1 });
  const tags = ['1.0', '1.1', '2.0', '2.1', '3.0', 'latest'];
  const servers: TestServer[] = [];
  const clients: RegistryClient[] = [];

  function track<T extends RegistryClient>(client: T): T {
    clients.push(client);
    return client;
  }

  async function server(handler: Handler): Promise<TestServer> {
    const started = await startServer(handler);
    servers.push(started);
    return started;
  }

  beforeAll(async () => {
    registry = await startDockerRegistry();
    for (const tag of tags) await pushImage(registry, 'wharf/app', tag, image);
    front = await startRegistryFront(registry);
  });

  afterAll(async () => {
    await Promise.all(clients.map((client) => client.close()));
    await Promise.all(servers.map((s) => s.close()));
    await front?.stop();
    await registry?.stop();
  });

  describe('retries', () => {
    it('waits as long as Retry-After says after a 429, then succeeds', async () => {
      const { client, requests } = countingClient({ url: front.url });
      track(client);
      front.faults.push({ status: 429, headers: { 'Retry-After': '1' } });
      const started = Date.now();
      const manifest = await client.getManifest('wharf/app', 'latest');
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
      expect(manifest.digest).toBe(image.digest);
      expect(requests.filter((r) => r.kind === 'manifest')).toHaveLength(2);
    });

    it('backs off after 503s until the registry recovers', async () => {
      const { client, requests } = countingClient({ url: front.url, retryBaseDelayMs: 5 });
      track(client);
      front.faults.push({ status: 503 }, { status: 502 }, { status: 503 });
      const stream = await client.getBlob('wharf/app', image.layers[0].digest);
      expect(Buffer.compare(await readAll(stream), Buffer.from(image.layers[0].bytes))).toBe(0);
      expect(requests.filter((r) => r.kind === 'blob')).toHaveLength(4);
    });

    it('gives up after maxRetries and reports the last status', async () => {
      const { client, requests } = countingClient({ url: front.url, retryBaseDelayMs: 5, maxRetries: 2 });
      track(client);
      front.faults.push({ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 });
      const error = await client.headBlob('wharf/app', image.config.digest).catch((e: unknown) => e);
      front.faults.length = 0;
      expect(error).toBeInstanceOf(RegistryError);
      expect(error).toMatchObject({ status: 503 });
      expect(requests).toHaveLength(3);
    });

    it('does not retry client errors', async () => {
      const { client, requests } = countingClient({ url: front.url, retryBaseDelayMs: 5 });
      track(client);
      front.faults.push({ status: 400 });
      await expect(client.getManifest('wharf/app', 'latest')).rejects.toMatchObject({
        status: 400,
        code: 'UNAVAILABLE',
      });
      await expect(client.getManifest('wharf/app', 'missing')).rejects.toMatchObject({ status: 404 });
      expect(requests).toHaveLength(2);
    });

    it('retries refused connections, then fails naming the registry and the cause', async () => {
      const closed = await server(() => undefined);
      await closed.close();
      const { client, requests } = countingClient({ url: closed.url, retryBaseDelayMs: 5, maxRetries: 3 });
      track(client);
      const error = await client.getManifest('wharf/app', 'latest').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryError);
      expect((error as Error).message).toMatch(
        new RegExp(
          `^GET manifest wharf/app:latest from ${closed.url}: request failed after 4 attempt\\(s\\): .*ECONNREFUSED`,
        ),
      );
      expect(requests).toHaveLength(4);
    });
  });

  describe('redirects', () => {
    const blob = fixtureBlob(randomBytes(4096), 'application/octet-stream');
    const credentials = { username: 'robot', password: 'redirect-secret' };
    const expectedAuthorization = `Basic ${Buffer.from('robot:redirect-secret').toString('base64')}`;

    /** A registry demanding Basic auth that sends blob downloads to `storage`. */
    async function redirectingRegistry(storageUrl: () => string): Promise<TestServer> {
      return server((request, response) => {
        if (request.headers.authorization !== expectedAuthorization) {
          response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="test"' }).end();
          return;
        }
        response.writeHead(307, { Location: `${storageUrl()}/storage/${blob.digest}?signature=abc` }).end();
      });
    }

    const storageHandler: Handler = (request, response) => {
      if (!request.url?.startsWith('/storage/')) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'Content-Length': String(blob.size) }).end(blob.bytes);
    };

    it('follows a blob redirect to another origin without the Authorization header or custom headers', async () => {
      const storage = await server(storageHandler);
      const upstream = await redirectingRegistry(() => storage.url);
      const client = track(
        new RegistryClient({ url: upstream.url, ...credentials, headers: { 'X-Registry-Key': 'private' } }),
      );
      const stream = await client.getBlob('wharf/app', blob.digest);
      expect(Buffer.compare(await readAll(stream), Buffer.from(blob.bytes))).toBe(0);
      expect(upstream.requests.at(-1)?.headers).toMatchObject({
        authorization: expectedAuthorization,
        'x-registry-key': 'private',
      });
      expect(storage.requests).toHaveLength(1);
      expect(storage.requests[0].url).toBe(`/storage/${blob.digest}?signature=abc`);
      expect(storage.requests[0].headers.authorization).toBeUndefined();
      expect(storage.requests[0].headers['x-registry-key']).toBeUndefined();
    });

    it('keeps the credentials for a redirect within the registry origin', async () => {
      let self = '';
      const upstream = await server((request, response) => {
        if (request.headers.authorization !== expectedAuthorization) {
          response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="test"' }).end();
        } else if (request.url?.startsWith('/storage/')) {
          void storageHandler(request, response);
        } else {
          response.writeHead(302, { Location: `${self}/storage/${blob.digest}` }).end();
        }
      });
      self = upstream.url;
      const client = track(new RegistryClient({ url: upstream.url, ...credentials }));
      expect(await client.headBlob('wharf/app', blob.digest)).toBe(blob.size);
      expect(
        upstream.requests.map((r) => [r.url.split('/')[1], r.headers.authorization !== undefined]),
      ).toEqual([
        ['v2', false],
        ['v2', true],
        ['storage', true],
      ]);
    });
  });

  describe('integrity', () => {
    it('fails a blob stream with TruncatedContentError when the connection ends early', async () => {
      const blob = fixtureBlob(randomBytes(1000), 'application/octet-stream');
      const upstream = await server((_request, response) => {
        response.writeHead(200, { 'Content-Length': '1000' });
        response.write(blob.bytes.subarray(0, 400));
        setTimeout(() => response.destroy(), 20);
      });
      const client = track(new RegistryClient({ url: upstream.url }));
      const stream = await client.getBlob('wharf/app', blob.digest);
      const error = await readAll(stream).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TruncatedContentError);
      expect(error).toMatchObject({ expectedBytes: 1000, receivedBytes: 400 });
      expect((error as Error).message).toContain(`GET blob wharf/app@${blob.digest}`);
    });

    it('refuses a manifest whose bytes do not match the digest asked for or announced', async () => {
      const served = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.index.v1+json',
          manifests: [],
        }),
      );
      const announced = sha256Of('something else');
      const upstream = await server((_request, response) => {
        response.writeHead(200, {
          'Content-Type': 'application/vnd.oci.image.index.v1+json',
          'Docker-Content-Digest': announced,
        });
        response.end(served);
      });
      const client = track(new RegistryClient({ url: upstream.url }));
      const byDigest = sha256Of('what was asked for');
      await expect(client.getManifest('wharf/app', byDigest)).rejects.toMatchObject({
        name: 'DigestMismatchError',
        expected: byDigest,
        actual: sha256Of(served),
      });
      const byTag = await client.getManifest('wharf/app', 'latest').catch((e: unknown) => e);
      expect(byTag).toBeInstanceOf(DigestMismatchError);
      expect(byTag).toMatchObject({ expected: announced });
    });

    it('refuses manifests over 4 MiB, stopping the download instead of reading it whole', async () => {
      let written = 0;
      const total = 16 * 1024 * 1024;
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const upstream = await server((request, response) => {
        if (request.url?.includes('announced')) {
          response.writeHead(200, { 'Content-Length': String(5 * 1024 * 1024) });
          response.end();
          return;
        }
        response.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' });
        const chunks = function* () {
          for (; written < total; written += chunk.byteLength) yield chunk;
        };
        Readable.from(chunks()).pipe(response);
      });
      const client = track(new RegistryClient({ url: upstream.url }));
      await expect(client.getManifest('wharf/app', 'streamed')).rejects.toBeInstanceOf(ManifestTooLargeError);
      await sleep(50);
      expect(written).toBeLessThan(total);
      await expect(client.getManifest('wharf/app', 'announced')).rejects.toThrow(
        /larger than the 4194304-byte limit/,
      );
    });
  });

  describe('limits', () => {
    it('keeps at most `concurrency` requests in flight', async () => {
      let inFlight = 0;
      let peak = 0;
      const upstream = await server(async (_request, response) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await sleep(30);
        inFlight--;
        response.writeHead(200, { 'Content-Length': '10' }).end();
      });
      const client = track(new RegistryClient({ url: upstream.url, concurrency: 2 }));
      const sizes = await Promise.all(
        Array.from({ length: 6 }, () => client.headBlob('wharf/app', sha256Of('x'))),
      );
      expect(sizes).toEqual([10, 10, 10, 10, 10, 10]);
      expect(peak).toBe(2);
    });

    it('counts a blob stream against the limit until its download is read', async () => {
      const large = randomImage({ layers: 1, layerSize: 2 * 1024 * 1024 });
      await pushImage(registry, 'wharf/large', 'latest', large);
      const client = track(new RegistryClient({ url: registry.url, concurrency: 1 }));
      const stream = await client.getBlob('wharf/large', large.layers[0].digest);
      let answered = false;
      const head = client.headManifest('wharf/large', 'latest').then((result) => {
        answered = true;
        return result;
      });
      await sleep(100);
      expect(answered).toBe(false);
      expect((await readAll(stream)).byteLength).toBe(large.layers[0].size);
      expect((await head)?.digest).toBe(large.digest);
    });

    it('starts no more requests per second than the rate limit allows', async () => {
      const upstream = await server((_request, response) => {
        response.writeHead(200, { 'Content-Length': '0' }).end();
      });
      const client = track(new RegistryClient({ url: upstream.url, rateLimitPerSecond: 20 }));
      const started = Date.now();
      // 20 go at once (the bucket starts full), the next 10 at 50 ms intervals.
      await Promise.all(Array.from({ length: 30 }, () => client.ping()));
      expect(Date.now() - started).toBeGreaterThanOrEqual(450);
      expect(upstream.requests).toHaveLength(30);
    });
  });

  describe('connections', () => {
    it('tunnels through an HTTP proxy', async () => {
      const tunnels: string[] = [];
      const proxy = await server((_request, response) => {
        response.writeHead(405).end();
      });
      proxy.server.on('connect', (request: IncomingMessage, socket, head: Buffer) => {
        tunnels.push(request.url ?? '');
        const [host, port] = (request.url ?? '').split(':');
        const upstream = connect(Number(port), host, () => {
          socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
          upstream.write(head);
          upstream.pipe(socket).pipe(upstream);
        });
        upstream.on('error', () => socket.destroy());
        socket.on('error', () => upstream.destroy());
      });
      const client = track(new RegistryClient({ url: registry.url, proxyUrl: proxy.url }));
      expect((await client.getManifest('wharf/app', 'latest')).digest).toBe(image.digest);
      expect(tunnels).toEqual([`127.0.0.1:${registry.port}`]);
    });

    it('sends the configured User-Agent and headers', async () => {
      const upstream = await server((_request, response) => {
        response.writeHead(200).end();
      });
      const client = track(
        new RegistryClient({ url: upstream.url, userAgent: 'wharf-test/1', headers: { 'X-Tenant': 'blue' } }),
      );
      await client.ping();
      expect(upstream.requests[0].headers).toMatchObject({
        'user-agent': 'wharf-test/1',
        'x-tenant': 'blue',
      });
    });

    it('refuses credentials in the URL and names that are not repository names, before any request', async () => {
      expect(() => new RegistryClient({ url: 'http://user:secret@127.0.0.1:1' })).toThrow(
        /must not contain credentials/,
      );
      const { client, requests } = countingClient({ url: front.url });
      track(client);
      await expect(client.getManifest('Wharf/App', 'latest')).rejects.toThrow(/not a repository name/);
      await expect(client.getManifest('wharf/app', '../../etc')).rejects.toThrow(
        /neither a tag nor a digest/,
      );
      expect(() => client.listTags('../x')).toThrow(/not a repository name/);
      expect(requests).toHaveLength(0);
    });
  });

  describe('TLS', () => {
    let tlsRegistry: StartedDockerRegistry;
    beforeAll(async () => {
      tlsRegistry = await startDockerRegistry({ tls: true });
      await pushImage(tlsRegistry, 'wharf/tls', 'latest', image);
    });
    afterAll(() => tlsRegistry?.stop());

    it('trusts the given CA, refuses an unknown certificate without retrying, or skips checks when told', async () => {
      const trusting = track(
        new RegistryClient({ url: tlsRegistry.url, tls: { ca: tlsRegistry.caCertificate } }),
      );
      expect((await trusting.getManifest('wharf/tls', 'latest')).digest).toBe(image.digest);

      const { client: strict, requests } = countingClient({ url: tlsRegistry.url, retryBaseDelayMs: 5 });
      track(strict);
      const error = await strict.ping().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RegistryError);
      expect((error as Error).message).toMatch(/request failed after 1 attempt/);
      expect(requests).toHaveLength(1);

      const lax = track(new RegistryClient({ url: tlsRegistry.url, tls: { rejectUnauthorized: false } }));
      expect(await lax.ping()).toMatchObject({ authScheme: 'none' });
    });
  });
});
