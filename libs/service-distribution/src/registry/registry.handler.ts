import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Injectable, Logger } from '@nestjs/common';
import { BlobNotFoundError, BlobStore, RangeNotSatisfiableError, type ByteRange } from '@wharf/ports';
import { manifestBytesDigest } from '@wharf/contracts';
import { bytesServed, setHttpRoute } from '@wharf/runtime';
import { MediaType } from '@wharf/oci';
import { BlobResponseWriter } from './blob-response.writer.js';
import { parseByteRange } from './byte-range.parser.js';
import { mayServeManifest } from './manifest-accept.policy.js';
import { MAX_CACHED_MANIFEST_BYTES, ManifestBytesCache } from './manifest-bytes.cache.js';
import { parseRegistryPath, type ManifestReference, type RegistryRoute } from './registry-route.parser.js';
import { blobUnknown, manifestUnknown, RegistryError } from './registry.errors.js';
import { OnDemandBlobs } from './on-demand.blobs.js';
import { RegistryAccess } from './registry-access.guard.js';
import { RegistryPushHandler } from './registry-push.handler.js';
import { RegistryAccessLog } from './registry-access.log.js';
import {
  ServedContent,
  type NamePage,
  type ServedManifest,
  type ServedVersion,
} from './served-content.reader.js';

/** Entries per tags or catalog page when the client sets no `n`, and the most it may ask for. */
const DEFAULT_PAGE = 1_000;
const MAX_PAGE = 5_000;

/**
 * The OCI Distribution API (v1.1). This class serves the pull side: base, catalog, tags, manifests, blobs,
 * referrers; pushes (uploads, manifest puts, deletes) go to RegistryPushHandler.
 * Manifests and blobs are streamed from the blob store and never held whole; the version a name serves is
 * resolved once per request, so one response never mixes two versions.
 */
@Injectable()
export class RegistryHandler {
  private readonly logger = new Logger('Registry');
  private readonly manifestBytes = new ManifestBytesCache();

  constructor(
    private readonly content: ServedContent,
    private readonly access: RegistryAccess,
    private readonly blobs: BlobStore,
    private readonly pushes: RegistryPushHandler,
    private readonly onDemand: OnDemandBlobs,
    private readonly blobBodies: BlobResponseWriter,
    private readonly accessLog: RegistryAccessLog,
  ) {}

  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    response.setHeader('Docker-Distribution-Api-Version', 'registry/2.0');
    try {
      const url = new URL(request.url ?? '/', 'http://registry');
      const route = parseRegistryPath(url.pathname);
      // The spec has no code for a path outside the API; distribution answers 404 there too.
      if (!route) throw new RegistryError('UNSUPPORTED', `no such endpoint: ${url.pathname}`, {}, 404);
      setHttpRoute(response, route.kind);
      const method = request.method ?? '';
      this.pushes.assertAllowed(route, method);
      if (this.pushes.isPush(route, method))
        await this.pushes.handle(route, request, url.searchParams, response);
      else await this.serve(route, request, url.searchParams, response);
    } catch (error) {
      this.fail(request, response, error);
    }
  }

  private async serve(
    route: RegistryRoute,
    request: IncomingMessage,
    query: URLSearchParams,
    response: ServerResponse,
  ): Promise<void> {
    const head = request.method === 'HEAD';
    switch (route.kind) {
      case 'base':
        this.access.assertMayEnter(request, new Date());
        return sendJson(response, 200, {}, head);
      case 'token':
        return sendJson(
          response,
          200,
          this.access.issueToken(request, query.getAll('scope'), new Date()),
          head,
        );
      case 'catalog':
        return this.catalog(query, response, head);
      case 'tags':
        return this.tags(route.name, request, query, response, head);
      case 'manifest':
        return this.manifest(route.name, route.reference, request, response);
      case 'blob':
        return this.blob(route.name, route.digest, request, response);
      case 'referrers':
        return this.referrers(route.name, route.digest, request, query, response, head);
    }
  }

  /** The version `name` serves, once the client is known to be allowed to pull it. */
  private async served(name: string, request: IncomingMessage): Promise<ServedVersion> {
    const resolved = await this.content.distribution(name);
    if (resolved.distribution.private) this.access.assertMayPull(request, name, new Date());
    return this.content.version(name, resolved);
  }

  private catalog(query: URLSearchParams, response: ServerResponse, head: boolean): void {
    const n = pageSize(query);
    const last = query.get('last') ?? undefined;
    const page: NamePage<string> = n === 0 ? { items: [] } : this.content.catalog(n, last);
    setNextLink(response, '/v2/_catalog', n, page);
    sendJson(response, 200, { repositories: page.items }, head);
  }

  private async tags(
    name: string,
    request: IncomingMessage,
    query: URLSearchParams,
    response: ServerResponse,
    head: boolean,
  ): Promise<void> {
    const served = await this.served(name, request);
    const n = pageSize(query);
    const last = query.get('last') ?? undefined;
    const page: NamePage<string> = n === 0 ? { items: [] } : await this.content.tags(served, n, last);
    setNextLink(response, `/v2/${name}/tags/list`, n, page);
    sendJson(response, 200, { name, tags: page.items }, head);
  }

  private async manifest(
    name: string,
    reference: ManifestReference,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const served = await this.served(name, request);
    const manifest = await this.findManifest(served, reference);
    const byDigest = reference.kind === 'digest';
    if (!mayServeManifest(manifest.mediaType, request.headers.accept, byDigest)) {
      throw manifestUnknown(
        name,
        reference.kind === 'tag' ? reference.tag : reference.digest,
        `${manifest.mediaType} manifest found, but the Accept header does not list that type`,
      );
    }
    const bytesDigest = manifestBytesDigest(manifest.unit);
    const size = manifest.unit.size ?? (await this.blobs.stat(bytesDigest))?.size;
    if (size === undefined) throw manifestUnknown(name, manifest.unit.digest, 'manifest bytes are missing');
    response.setHeader('Content-Type', manifest.mediaType);
    response.setHeader('Docker-Content-Digest', manifest.unit.digest);
    response.setHeader('Content-Length', size);
    response.setHeader('ETag', `"${manifest.unit.digest}"`);
    if (request.method === 'HEAD') {
      response.writeHead(200).end();
      return;
    }
    await this.sendManifestBytes(bytesDigest, size, response, () =>
      manifestUnknown(name, manifest.unit.digest),
    );
    bytesServed.inc(size);
    this.accessLog.manifestPulled(
      {
        repository: name,
        digest: manifest.unit.digest,
        tag: reference.kind === 'tag' ? reference.tag : null,
        mediaType: manifest.mediaType,
        client: this.access.clientOf(request, new Date()),
      },
      new Date(),
    );
  }

  /** Writes 200 and the manifest's bytes, from the cache or else streamed from the blob store (and cached). */
  private async sendManifestBytes(
    bytesDigest: string,
    size: number,
    response: ServerResponse,
    unknown: () => RegistryError,
  ): Promise<void> {
    const cached = this.manifestBytes.get(bytesDigest);
    if (cached) {
      response.writeHead(200).end(cached);
      return;
    }
    const body = await this.openBlob(bytesDigest, unknown);
    response.writeHead(200);
    if (size > MAX_CACHED_MANIFEST_BYTES) {
      await pipeline(body, response);
      return;
    }
    const chunks: Buffer[] = [];
    await pipeline(
      body,
      async function* (source: AsyncIterable<Buffer>) {
        for await (const chunk of source) {
          chunks.push(chunk);
          yield chunk;
        }
      },
      response,
    );
    const bytes = Buffer.concat(chunks);
    if (bytes.length === size) this.manifestBytes.set(bytesDigest, bytes);
  }

  private findManifest(served: ServedVersion, reference: ManifestReference): Promise<ServedManifest> {
    return reference.kind === 'tag'
      ? this.content.manifestByTag(served, reference.tag)
      : this.content.manifestByDigest(served, reference.digest);
  }

  private async blob(
    name: string,
    digest: string,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const served = await this.served(name, request);
    const unit = await this.content.blob(served, digest);
    const size = unit && (unit.size ?? (await this.blobs.stat(digest))?.size);
    if (size === undefined) throw blobUnknown(name, digest);
    const range = parseByteRange(request.headers.range, size);
    // A blob synced on_demand and not yet fetched comes from upstream (HEAD answered below from its size);
    // only bytes already in the bucket can be handed out as a presigned redirect.
    const remote = unit?.onDemand !== undefined && (await this.onDemand.isRemote(unit));
    if (request.method === 'GET' && !remote && (await this.blobBodies.redirect(response, digest))) return;
    response.setHeader('Docker-Content-Digest', digest);
    response.setHeader('Accept-Ranges', 'bytes');
    response.setHeader('Content-Type', 'application/octet-stream');
    response.setHeader('ETag', `"${digest}"`);
    const status = range ? 206 : 200;
    response.setHeader('Content-Length', range ? range.end - range.start + 1 : size);
    if (range) response.setHeader('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
    if (request.method === 'HEAD') {
      response.writeHead(status).end();
      return;
    }
    const body =
      remote && unit?.onDemand
        ? await this.onDemand.open(
            unit,
            { recorded: unit.onDemand, repositoryId: served.repositoryId },
            range,
          )
        : await this.openBlob(digest, () => blobUnknown(name, digest), range);
    await this.blobBodies.stream(response, status, body);
    bytesServed.inc(range ? range.end - range.start + 1 : size);
  }

  private async referrers(
    name: string,
    digest: string,
    request: IncomingMessage,
    query: URLSearchParams,
    response: ServerResponse,
    head: boolean,
  ): Promise<void> {
    const served = await this.served(name, request);
    const artifactType = query.get('artifactType') ?? undefined;
    const manifests = await this.content.referrers(served, digest, artifactType);
    if (artifactType !== undefined) response.setHeader('OCI-Filters-Applied', 'artifactType');
    sendJson(
      response,
      200,
      { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests },
      head,
      MediaType.OciIndex,
    );
  }

  private async openBlob(digest: string, unknown: () => RegistryError, range?: ByteRange): Promise<Readable> {
    try {
      return await this.blobs.get(digest, range);
    } catch (error) {
      // The catalog lists the unit but the store lost its bytes (or they shrank): unknown, not a crash.
      if (error instanceof BlobNotFoundError || error instanceof RangeNotSatisfiableError) throw unknown();
      throw error;
    }
  }

  private fail(request: IncomingMessage, response: ServerResponse, error: unknown): void {
    // A refused upload's body is read and dropped, so the client gets the answer and the connection lives.
    if (!request.readableEnded) request.resume();
    if (response.headersSent) {
      // Mid-stream: the status is gone, so the only honest signal left is a cut connection. A client that
      // hangs up (a cancelled pull) is no failure of ours.
      if ((error as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE') {
        this.logger.warn(`${request.method} ${request.url} failed while streaming: ${describe(error)}`);
      }
      response.destroy();
      return;
    }
    // Headers set for the success response (digest, length, type) do not describe an error body; the API
    // version and the request id describe the exchange.
    for (const header of response.getHeaderNames()) {
      if (header !== 'docker-distribution-api-version' && header !== 'x-request-id')
        response.removeHeader(header);
    }
    if (error instanceof RegistryError) {
      for (const [header, value] of Object.entries(error.headers)) response.setHeader(header, value);
      sendJson(response, error.status, error.toBody(), request.method === 'HEAD');
      return;
    }
    this.logger.error(`${request.method} ${request.url} failed: ${describe(error)}`);
    sendJson(
      response,
      500,
      { errors: [{ code: 'UNKNOWN', message: 'internal error', detail: {} }] },
      request.method === 'HEAD',
    );
  }
}

/** `n` as a page size: absent means the default page, larger than the maximum is capped. */
function pageSize(query: URLSearchParams): number {
  const raw = query.get('n');
  if (raw === null || raw === '') return DEFAULT_PAGE;
  if (!/^\d+$/.test(raw)) {
    throw new RegistryError('PAGINATION_NUMBER_INVALID', `invalid number of results requested: ${raw}`, {
      n: raw,
    });
  }
  return Math.min(Number(raw), MAX_PAGE);
}

function setNextLink(response: ServerResponse, path: string, n: number, page: NamePage<string>): void {
  if (page.last === undefined) return;
  const next = new URLSearchParams({ n: String(n), last: page.last });
  response.setHeader('Link', `<${path}?${next.toString()}>; rel="next"`);
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  head: boolean,
  contentType = 'application/json',
): void {
  const bytes = Buffer.from(JSON.stringify(body));
  response.setHeader('Content-Type', contentType);
  response.setHeader('Content-Length', bytes.byteLength);
  response.writeHead(status);
  response.end(head ? undefined : bytes);
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
