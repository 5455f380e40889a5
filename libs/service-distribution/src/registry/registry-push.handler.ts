import type { IncomingMessage, ServerResponse } from 'node:http';
import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@wharf/contracts';
import { isDigest, MAX_MANIFEST_BYTES } from '@wharf/oci';
import { BlobUploads, uploadLocation, uploadRange, type ChunkRange } from './blob-uploads.js';
import { ManifestPushes } from './manifest-pushes.js';
import { RegistryAccessLog } from './registry-access.log.js';
import type { RegistryRoute } from './registry-route.parser.js';
import { RegistryError } from './registry.errors.js';
import { RegistryAccess } from './registry-access.guard.js';
import { ServedContent } from './served-content.reader.js';

/** The methods each endpoint takes, for 405 answers and their `Allow` header. */
const ALLOWED: Readonly<Record<RegistryRoute['kind'], string>> = {
  base: 'GET, HEAD',
  token: 'GET, HEAD',
  catalog: 'GET, HEAD',
  tags: 'GET, HEAD',
  referrers: 'GET, HEAD',
  manifest: 'GET, HEAD, PUT, DELETE',
  blob: 'GET, HEAD, DELETE',
  uploads: 'POST',
  upload: 'GET, PATCH, PUT, DELETE',
};

/** `start-end` as OCI chunked uploads send it (`bytes ` and a `/total` are tolerated). */
const CONTENT_RANGE = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/;

/**
 * The push side of the OCI Distribution API (v1.1): blob uploads (monolithic, streamed, chunked; mounts),
 * manifest pushes, and deletes of manifests, tags and blobs. Every request needs push rights on its name.
 * Returns false for a request that is not a push, which the pull handler then serves.
 */
@Injectable()
export class RegistryPushHandler {
  constructor(
    private readonly uploads: BlobUploads,
    private readonly manifests: ManifestPushes,
    private readonly access: RegistryAccess,
    private readonly content: ServedContent,
    private readonly accessLog: RegistryAccessLog,
  ) {}

  /** Whether `method` on this endpoint is a push operation (so push rights apply). */
  isPush(route: RegistryRoute, method: string): boolean {
    if (route.kind === 'uploads' || route.kind === 'upload') return true;
    if (route.kind === 'manifest') return method === 'PUT' || method === 'DELETE';
    if (route.kind === 'blob') return method === 'DELETE';
    return false;
  }

  /** 405 for a method the endpoint does not take. */
  assertAllowed(route: RegistryRoute, method: string): void {
    const allowed = ALLOWED[route.kind];
    if (allowed.split(', ').includes(method)) return;
    throw new RegistryError('UNSUPPORTED', `${method} is not supported on this endpoint`, { method }, 405, {
      Allow: allowed,
    });
  }

  async handle(
    route: RegistryRoute,
    request: IncomingMessage,
    query: URLSearchParams,
    response: ServerResponse,
  ): Promise<void> {
    const name = 'name' in route ? route.name : '';
    this.access.assertMayPush(request, name, new Date());
    const method = request.method ?? '';
    switch (route.kind) {
      case 'uploads':
        return this.startUpload(name, request, query, response);
      case 'upload':
        return this.continueUpload(name, route.uploadId, method, request, query, response);
      case 'manifest':
        if (method === 'PUT') return this.putManifest(route, request, response);
        await this.manifests.delete(name, route.reference);
        return accepted(response);
      case 'blob':
        await this.manifests.deleteBlob(name, route.digest);
        return accepted(response);
      default:
        throw new Error(`no push operation on ${route.kind}`);
    }
  }

  private async startUpload(
    name: string,
    request: IncomingMessage,
    query: URLSearchParams,
    response: ServerResponse,
  ): Promise<void> {
    const mount = query.get('mount');
    if (mount !== null && isDigest(mount) && (await this.mayMount(request, mount, query.get('from')))) {
      return blobCreated(response, name, mount);
    }
    const digest = query.get('digest');
    if (digest !== null) {
      const blob = await this.uploads.putWhole(digest, request);
      return blobCreated(response, name, blob.digest);
    }
    drain(request);
    const session = await this.uploads.start();
    if (this.uploads.chunkMinLength > 0) {
      response.setHeader('OCI-Chunk-Min-Length', String(this.uploads.chunkMinLength));
    }
    return uploadAccepted(response, name, session.uploadId, session.size, 202);
  }

  private async continueUpload(
    name: string,
    uploadId: string,
    method: string,
    request: IncomingMessage,
    query: URLSearchParams,
    response: ServerResponse,
  ): Promise<void> {
    switch (method) {
      case 'GET': {
        const { size } = await this.uploads.progress(name, uploadId);
        return uploadAccepted(response, name, uploadId, size, 204);
      }
      case 'PATCH': {
        const range = chunkRange(request.headers['content-range']);
        const { size } = await this.uploads.append(name, uploadId, request, range);
        return uploadAccepted(response, name, uploadId, size, 202);
      }
      case 'PUT': {
        const digest = query.get('digest');
        if (digest === null) {
          throw new RegistryError('DIGEST_INVALID', 'finishing an upload needs ?digest=', { uploadId });
        }
        const blob = await this.uploads.finish(name, uploadId, digest, request);
        return blobCreated(response, name, blob.digest);
      }
      default: {
        await this.uploads.cancel(name, uploadId);
        response.setHeader('Content-Length', 0);
        response.writeHead(204).end();
      }
    }
  }

  /**
   * A mount succeeds when the blob is in what `from` serves and the client may read `from`; without `from`
   * (the spec lets a registry look anywhere), when the catalog holds the blob. Either way the blob joins
   * this name's repository only with the manifest that references it.
   */
  private async mayMount(request: IncomingMessage, digest: string, from: string | null): Promise<boolean> {
    if (from === null) return this.uploads.isRecorded(digest);
    try {
      const resolved = await this.content.distribution(from);
      if (resolved.distribution.private && !this.access.mayPullPrivate(request, from, new Date()))
        return false;
      const served = await this.content.version(from, resolved);
      return (await this.content.blob(served, digest)) !== undefined;
    } catch (error) {
      if (error instanceof RegistryError || error instanceof NotFoundError) return false;
      throw error;
    }
  }

  private async putManifest(
    route: Extract<RegistryRoute, { kind: 'manifest' }>,
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> {
    const bytes = await readBounded(request, MAX_MANIFEST_BYTES);
    const pushed = await this.manifests.push(
      route.name,
      route.reference,
      request.headers['content-type'],
      bytes,
    );
    response.setHeader('Location', `/v2/${route.name}/manifests/${pushed.digest}`);
    response.setHeader('Docker-Content-Digest', pushed.digest);
    if (pushed.subject !== undefined) response.setHeader('OCI-Subject', pushed.subject);
    response.setHeader('Content-Length', 0);
    response.writeHead(201).end();
    await this.accessLog.manifestPushed(
      {
        repository: route.name,
        digest: pushed.digest,
        tag: route.reference.kind === 'tag' ? route.reference.tag : null,
        mediaType: pushed.mediaType,
        client: this.access.clientOf(request, new Date()),
      },
      new Date(),
    );
  }
}

function chunkRange(header: string | undefined): ChunkRange | undefined {
  if (header === undefined) return undefined;
  const match = CONTENT_RANGE.exec(header.trim());
  const start = match && Number(match[1]);
  const end = match && Number(match[2]);
  if (start === null || end === null || end < start) {
    throw new RegistryError(
      'RANGE_INVALID',
      `invalid Content-Range: ${header}`,
      { 'Content-Range': header },
      416,
    );
  }
  return { start, end };
}

/** A body of at most `limit` bytes; a larger one is refused (413) as soon as it is known to be larger. */
async function readBounded(request: IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = (size: string) =>
    new RegistryError(
      'SIZE_INVALID',
      `manifest of ${size} bytes is over the ${limit}-byte limit`,
      { limit },
      413,
    );
  const declared = Number(request.headers['content-length']);
  if (declared > limit) {
    drain(request);
    throw tooLarge(String(declared));
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).byteLength;
    if (size > limit) {
      drain(request);
      throw tooLarge(`over ${limit}`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Reads and drops what is left of a body we do not use, so the connection can answer and stay open. */
function drain(request: IncomingMessage): void {
  request.resume();
}

function uploadAccepted(
  response: ServerResponse,
  name: string,
  uploadId: string,
  size: number,
  status: 202 | 204,
): void {
  response.setHeader('Location', uploadLocation(name, uploadId));
  response.setHeader('Range', uploadRange(size));
  response.setHeader('Docker-Upload-UUID', uploadId);
  response.setHeader('Content-Length', 0);
  response.writeHead(status).end();
}

function blobCreated(response: ServerResponse, name: string, digest: string): void {
  response.setHeader('Location', `/v2/${name}/blobs/${digest}`);
  response.setHeader('Docker-Content-Digest', digest);
  response.setHeader('Content-Length', 0);
  response.writeHead(201).end();
}

function accepted(response: ServerResponse): void {
  response.setHeader('Content-Length', 0);
  response.writeHead(202).end();
}
