import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { StartedServer } from './servers.js';

/**
 * A reverse proxy in front of a registry for the behaviour docker-registry cannot be made to show:
 * queued faults (429, 503 with Retry-After, …) answered before forwarding resumes, and tag lists paged per
 * the distribution spec (`n`, `last`, `Link: <…>; rel="next"`), which docker-registry 2.8 ignores.
 * Everything else, credentials included, passes through untouched.
 */
export interface RegistryFrontFault {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface FrontRecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

export interface StartedRegistryFront extends StartedServer {
  /** Answered one per request, in order, before requests reach the registry again. */
  readonly faults: RegistryFrontFault[];
  /** Every request the front received, faults included. */
  readonly requests: FrontRecordedRequest[];
}

export interface RegistryFrontTarget {
  readonly url: string;
  /** PEM to trust when the registry serves HTTPS with a self-signed certificate. */
  readonly caCertificate?: string;
}

export async function startRegistryFront(target: RegistryFrontTarget): Promise<StartedRegistryFront> {
  const faults: RegistryFrontFault[] = [];
  const requests: FrontRecordedRequest[] = [];
  const server = createServer((request, response) => {
    requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers });
    const fault = faults.shift();
    if (fault) {
      response.writeHead(fault.status, { 'Content-Type': 'application/json', ...fault.headers });
      response.end(
        JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'fault injected by the test front' }] }),
      );
      return;
    }
    const url = new URL(request.url ?? '/', 'http://front');
    const pageSize = Number(url.searchParams.get('n'));
    if (request.method === 'GET' && url.pathname.endsWith('/tags/list') && pageSize > 0) {
      pageTags(target, request, response, url, pageSize);
    } else {
      forward(target, request, url.pathname + url.search, response, (upstream) => {
        response.writeHead(upstream.statusCode ?? 502, upstream.headers);
        upstream.pipe(response);
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    faults,
    requests,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function forward(
  target: RegistryFrontTarget,
  request: IncomingMessage,
  path: string,
  response: ServerResponse,
  onResponse: (upstream: IncomingMessage) => void,
): void {
  const url = new URL(path, target.url);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  // The Host header stays the front's, so URLs the registry builds (upload Locations) lead back through it.
  const upstream = send(
    url,
    { method: request.method, headers: request.headers, ca: target.caCertificate },
    onResponse,
  );
  upstream.on('error', () => response.destroy());
  request.pipe(upstream);
}

/** Fetches the whole tag list with the client's credentials and answers the page `n` and `last` ask for. */
function pageTags(
  target: RegistryFrontTarget,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  pageSize: number,
): void {
  forward(target, request, url.pathname, response, (upstream) => {
    if (upstream.statusCode !== 200) {
      response.writeHead(upstream.statusCode ?? 502, upstream.headers);
      upstream.pipe(response);
      return;
    }
    const chunks: Buffer[] = [];
    upstream.on('data', (chunk: Buffer) => chunks.push(chunk));
    upstream.on('end', () => {
      const { name, tags } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        name: string;
        tags: string[] | null;
      };
      const last = url.searchParams.get('last');
      const remaining = (tags ?? []).sort().filter((tag) => last === null || tag > last);
      const page = remaining.slice(0, pageSize);
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (remaining.length > pageSize) {
        const next = new URLSearchParams({ n: String(pageSize), last: page[page.length - 1] });
        headers['Link'] = `<${url.pathname}?${next}>; rel="next"`;
      }
      response.writeHead(200, headers).end(JSON.stringify({ name, tags: page }));
    });
  });
}
