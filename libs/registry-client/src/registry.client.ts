import { Readable } from 'node:stream';
import { Agent, ProxyAgent, type Dispatcher } from 'undici';
import {
  MANIFEST_ACCEPT_HEADER,
  MAX_MANIFEST_BYTES,
  createDigester,
  isDigest,
  isManifestMediaType,
  isSchema1MediaType,
  isValidRepositoryName,
  isValidTag,
  parseDigest,
  parseManifest,
} from '@wharf/oci';
import { ConcurrencyLimiter } from './concurrency.limiter.js';
import { HttpTransport, discard, firstHeader, type HttpResponse } from './http.transport.js';
import { nextPageUrl } from './link-header.parser.js';
import { TokenBucket } from './rate.limiter.js';
import { RegistryAuthenticator, type AuthScheme } from './registry.authenticator.js';
import {
  DigestMismatchError,
  ManifestTooLargeError,
  RegistryAuthError,
  RegistryError,
  TruncatedContentError,
  type RegistryOperation,
} from './registry.errors.js';
import type { RegistryClientOptions, RequestKind } from './registry-client.options.js';
import { parseRegistryErrorBody, readBodyUpTo } from './response-body.util.js';
import { RetryPolicy } from './retry.policy.js';
import { VerifiedBlobStream } from './verified-blob.stream.js';

export interface PingResult {
  /** How the registry wants clients to authenticate (from its 401 challenge). */
  readonly authScheme: AuthScheme;
  /** `Docker-Distribution-API-Version`, e.g. `registry/2.0`. */
  readonly apiVersion?: string;
}

export interface ManifestHead {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
}

export interface FetchedManifest {
  /** Exactly the bytes the registry holds (their digest was checked). */
  readonly bytes: Buffer;
  readonly mediaType: string;
  /** The manifest's digest; for signed schema 1 that of its payload, as registries name it. */
  readonly digest: string;
}

export interface ListOptions {
  /** Entries per page (`n`); registries choose when omitted. */
  readonly pageSize?: number;
}

export interface UploadBlobOptions {
  /** Try a cross-repository mount from this repository of the same registry before uploading the bytes. */
  readonly mountFrom?: string;
}

export interface UploadedBlob {
  readonly digest: string;
  /** The registry linked an existing blob from `mountFrom`; no bytes were sent. */
  readonly mounted: boolean;
}

interface RegistryCall {
  readonly method: Dispatcher.HttpMethod;
  readonly kind: RequestKind;
  readonly url: URL;
  /** Bearer token scopes the request needs. */
  readonly scopes: readonly string[];
  readonly operation: RegistryOperation;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array | Readable;
  readonly followRedirects?: boolean;
}

const DEFAULT_USER_AGENT = 'wharf-registry-client/0.1';
const MAX_ERROR_BODY_BYTES = 64 * 1024;
// Generous for repositories with many thousands of tags, yet bounded.
const MAX_LIST_PAGE_BYTES = 32 * 1024 * 1024;

/**
 * A client for one upstream registry speaking the OCI distribution API (Docker registry v2): tags,
 * manifests, blobs, and a small push side. Every byte fetched by digest is verified; credentials only go
 * to the registry's own origin and its token server.
 */
export class RegistryClient {
  /** The registry's base URL, as error messages name it. */
  readonly registry: string;
  private readonly base: URL;
  private readonly http: HttpTransport;
  private readonly auth: RegistryAuthenticator;
  private readonly customHeaders: Readonly<Record<string, string>>;

  constructor(options: RegistryClientOptions) {
    this.base = parseRegistryUrl(options.url);
    this.registry = `${this.base.origin}${this.base.pathname.replace(/\/$/, '')}`;
    this.customHeaders = options.headers ?? {};
    this.http = new HttpTransport({
      dispatcher: createDispatcher(options),
      concurrency: new ConcurrencyLimiter(options.concurrency ?? 8),
      rateLimit: options.rateLimitPerSecond ? new TokenBucket(options.rateLimitPerSecond) : undefined,
      retry: new RetryPolicy({
        maxRetries: options.maxRetries ?? 4,
        baseDelayMs: options.retryBaseDelayMs ?? 250,
        maxDelayMs: options.maxRetryDelayMs ?? 30_000,
      }),
      userAgent: options.userAgent ?? DEFAULT_USER_AGENT,
      onRequest: options.onRequest,
    });
    const credentials =
      options.username !== undefined
        ? { username: options.username, password: options.password ?? '' }
        : undefined;
    this.auth = new RegistryAuthenticator(this.http, credentials);
  }

  /**
   * `GET /v2/`: learns how the registry authenticates and, when credentials were given, checks them the
   * way `docker login` does (a 401 then is a RegistryAuthError).
   */
  async ping(): Promise<PingResult> {
    const url = this.endpoint('');
    const operation: RegistryOperation = { method: 'GET', object: '/v2/' };
    const response = await this.http.send({
      method: 'GET',
      url,
      kind: 'ping',
      source: this.registry,
      operation,
      credentialOrigin: this.base.origin,
      privateHeaders: this.customHeaders,
    });
    const apiVersion = firstHeader(response.headers, 'docker-distribution-api-version');
    if (response.status === 200) {
      await discard(response);
      return { authScheme: 'none', apiVersion };
    }
    if (response.status !== 401) throw await this.failure(response, operation);
    this.auth.learnChallenge(response, undefined, []);
    await discard(response);
    const scheme = this.auth.scheme;
    if (scheme === undefined) {
      throw new RegistryAuthError(this.registry, operation, {
        status: 401,
        reason: 'the registry asks for an authentication scheme other than Basic or Bearer',
      });
    }
    if (this.auth.hasCredentials) {
      const verified = await this.call({ method: 'GET', kind: 'ping', url, scopes: [], operation });
      if (verified.status !== 200) throw await this.failure(verified, operation);
      await discard(verified);
    }
    return { authScheme: scheme, apiVersion };
  }

  /** Every tag of `name`, following `Link: <…>; rel="next"` pages. */
  listTags(name: string, options: ListOptions = {}): AsyncIterable<string> {
    checkRepositoryName(name);
    const url = this.endpoint(`${name}/tags/list`);
    if (options.pageSize !== undefined) url.searchParams.set('n', String(options.pageSize));
    const operation: RegistryOperation = { method: 'GET', object: 'tags', repository: name };
    return this.paginate(url, 'tags', [pullScope(name)], operation, 'tags');
  }

  /** Every repository in the registry's catalog (`/v2/_catalog`), following pages. */
  listRepositories(options: ListOptions = {}): AsyncIterable<string> {
    const url = this.endpoint('_catalog');
    if (options.pageSize !== undefined) url.searchParams.set('n', String(options.pageSize));
    const operation: RegistryOperation = { method: 'GET', object: 'catalog' };
    return this.paginate(url, 'catalog', ['registry:catalog:*'], operation, 'repositories');
  }

  /** What the registry says about a manifest without fetching it; undefined when it has none such. */
  async headManifest(name: string, reference: string): Promise<ManifestHead | undefined> {
    const operation = this.manifestOperation('HEAD', name, reference);
    const response = await this.call({
      method: 'HEAD',
      kind: 'manifest',
      url: this.endpoint(`${name}/manifests/${reference}`),
      scopes: [pullScope(name)],
      operation,
      headers: { accept: MANIFEST_ACCEPT_HEADER },
    });
    if (response.status === 404) {
      await discard(response);
      return undefined;
    }
    if (response.status !== 200) throw await this.failure(response, operation);
    await discard(response);
    const digest = firstHeader(response.headers, 'docker-content-digest');
    const mediaType = mediaTypeOf(firstHeader(response.headers, 'content-type'));
    const size = contentLength(response);
    if (
      digest !== undefined &&
      isDigest(digest) &&
      mediaType &&
      isManifestMediaType(mediaType) &&
      size !== undefined
    ) {
      return { digest, mediaType, size };
    }
    // Not every registry answers HEAD with all of these; the manifest itself tells.
    const manifest = await this.getManifest(name, reference);
    return { digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.bytes.byteLength };
  }

  /**
   * Fetches a manifest of any kind Wharf parses. Its bytes must hash to the digest asked for (or, by tag,
   * to the `Docker-Content-Digest` the registry announced), else DigestMismatchError; manifests over
   * 4 MiB are refused without being read whole.
   */
  async getManifest(name: string, reference: string): Promise<FetchedManifest> {
    const operation = this.manifestOperation('GET', name, reference);
    const response = await this.call({
      method: 'GET',
      kind: 'manifest',
      url: this.endpoint(`${name}/manifests/${reference}`),
      scopes: [pullScope(name)],
      operation,
      headers: { accept: MANIFEST_ACCEPT_HEADER },
    });
    if (response.status !== 200) throw await this.failure(response, operation);
    const announced = contentLength(response);
    if (announced !== undefined && announced > MAX_MANIFEST_BYTES) {
      response.body.destroy();
      throw new ManifestTooLargeError(this.registry, operation, MAX_MANIFEST_BYTES);
    }
    const bytes = await this.readManifestBody(response, announced, operation);
    const mediaType = manifestMediaType(bytes, firstHeader(response.headers, 'content-type'));
    const announcedDigest = firstHeader(response.headers, 'docker-content-digest');
    const expected = isDigest(reference)
      ? reference
      : isDigest(announcedDigest)
        ? announcedDigest
        : undefined;
    return { bytes, mediaType, digest: this.verifyManifestDigest(bytes, mediaType, expected, operation) };
  }

  /** The size of a blob, or undefined when the registry does not have it. */
  async headBlob(name: string, digest: string): Promise<number | undefined> {
    const operation = this.blobOperation('HEAD', name, digest);
    const response = await this.call({
      method: 'HEAD',
      kind: 'blob',
      url: this.endpoint(`${name}/blobs/${digest}`),
      scopes: [pullScope(name)],
      operation,
      followRedirects: true,
    });
    if (response.status === 404) {
      await discard(response);
      return undefined;
    }
    if (response.status !== 200) throw await this.failure(response, operation);
    await discard(response);
    const size = contentLength(response);
    if (size === undefined) {
      throw new RegistryError(this.registry, operation, {
        status: 200,
        reason: 'no Content-Length in the answer',
      });
    }
    return size;
  }

  async blobExists(name: string, digest: string): Promise<boolean> {
    return (await this.headBlob(name, digest)) !== undefined;
  }

  /**
   * Streams a blob, following redirects to storage (without the Authorization header when they leave the
   * registry's origin). The stream emits DigestMismatchError or TruncatedContentError instead of ending
   * when the bytes are wrong or incomplete, so a consumer that saw `end` got exactly the blob. The download
   * holds one of the client's concurrency permits until its last byte arrived (backpressure keeps it open
   * while the consumer lags) or the stream is destroyed: read or destroy every stream taken.
   * With `checkDigest: false` the bytes are not hashed here, only counted against Content-Length: for a
   * consumer that hashes them anyway and refuses a mismatch itself (a blob store's put with the expected
   * digest), so a download is hashed once rather than twice.
   */
  async getBlob(
    name: string,
    digest: string,
    { checkDigest = true }: { readonly checkDigest?: boolean } = {},
  ): Promise<VerifiedBlobStream> {
    const operation = this.blobOperation('GET', name, digest);
    const response = await this.call({
      method: 'GET',
      kind: 'blob',
      url: this.endpoint(`${name}/blobs/${digest}`),
      scopes: [pullScope(name)],
      operation,
      followRedirects: true,
    });
    if (response.status !== 200) throw await this.failure(response, operation);
    const size = contentLength(response);
    return VerifiedBlobStream.verifying(
      response.body,
      digest,
      size,
      {
        mismatch: (actual) => new DigestMismatchError(this.registry, operation, digest, actual),
        truncated: (received, cause) =>
          new TruncatedContentError(this.registry, operation, size ?? received, received, cause),
        broken: (cause) =>
          new RegistryError(this.registry, operation, { reason: 'the download broke off', cause }),
      },
      checkDigest,
    );
  }

  /**
   * Puts a blob into `name`: a cross-repository mount when `mountFrom` is given and the registry agrees,
   * otherwise POST then one monolithic PUT. The registry checks the bytes against `digest`.
   */
  async uploadBlob(
    name: string,
    digest: string,
    size: number,
    content: Readable | Uint8Array,
    options: UploadBlobOptions = {},
  ): Promise<UploadedBlob> {
    try {
      return await this.putBlob(name, digest, size, content, options);
    } finally {
      // A stream the upload never read to the end (a mount, a refused start, a failed PUT) still holds what
      // it reads from, a file for instance, until someone destroys it; after a complete send this is a no-op.
      if (content instanceof Readable) content.destroy();
    }
  }

  private async putBlob(
    name: string,
    digest: string,
    size: number,
    content: Readable | Uint8Array,
    options: UploadBlobOptions,
  ): Promise<UploadedBlob> {
    const startOperation = this.blobOperation('POST', name, digest, 'blob upload');
    const mountFrom = options.mountFrom;
    if (mountFrom !== undefined) checkRepositoryName(mountFrom);
    const scopes = [pushScope(name), ...(mountFrom !== undefined ? [pullScope(mountFrom)] : [])];
    const startUrl = this.endpoint(`${name}/blobs/uploads/`);
    if (mountFrom !== undefined) {
      startUrl.searchParams.set('mount', digest);
      startUrl.searchParams.set('from', mountFrom);
    }
    const started = await this.call({
      method: 'POST',
      kind: 'blob',
      url: startUrl,
      scopes,
      operation: startOperation,
    });
    if (started.status === 201 && mountFrom !== undefined) {
      await discard(started);
      return { digest: firstHeader(started.headers, 'docker-content-digest') ?? digest, mounted: true };
    }
    if (started.status !== 202) throw await this.failure(started, startOperation);
    await discard(started);
    const uploadUrl = this.uploadLocation(started, startOperation);
    uploadUrl.searchParams.set('digest', digest);
    const putOperation = this.blobOperation('PUT', name, digest);
    const response = await this.call({
      method: 'PUT',
      kind: 'blob',
      url: uploadUrl,
      scopes,
      operation: putOperation,
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      body: content,
    });
    if (response.status !== 201) throw await this.failure(response, putOperation);
    await discard(response);
    return { digest: firstHeader(response.headers, 'docker-content-digest') ?? digest, mounted: false };
  }

  /**
   * Links a blob `from` another repository of the same registry into `name` without sending its bytes
   * (`POST …/blobs/uploads/?mount=&from=`). False when the registry declines (it then opens an upload
   * session instead, which is cancelled here).
   */
  async mountBlob(name: string, digest: string, from: string): Promise<boolean> {
    checkRepositoryName(from);
    const operation = this.blobOperation('POST', name, digest, 'blob mount');
    const scopes = [pushScope(name), pullScope(from)];
    const url = this.endpoint(`${name}/blobs/uploads/`);
    url.searchParams.set('mount', digest);
    url.searchParams.set('from', from);
    const response = await this.call({ method: 'POST', kind: 'blob', url, scopes, operation });
    if (response.status === 201) {
      await discard(response);
      return true;
    }
    if (response.status !== 202) throw await this.failure(response, operation);
    await discard(response);
    const cancel = this.uploadLocation(response, operation);
    await discard(await this.call({ method: 'DELETE', kind: 'blob', url: cancel, scopes, operation }));
    return false;
  }

  /**
   * Puts a blob into `name` in chunks of at most `chunkSize` bytes: POST, one PATCH per chunk (each with its
   * `Content-Range`, streamed from `openChunk`), then a PUT with `?digest=` and no body, which makes the
   * registry verify the whole blob. For blobs too large for one request through a proxy or load balancer;
   * `openChunk` is called once per chunk, so only one chunk's stream is open at a time.
   */
  async uploadBlobInChunks(
    name: string,
    digest: string,
    size: number,
    chunkSize: number,
    openChunk: (start: number, end: number) => Promise<Readable>,
  ): Promise<UploadedBlob> {
    if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
      throw new RangeError(`chunk size must be a positive integer, got ${chunkSize}`);
    }
    const scopes = [pushScope(name)];
    const startOperation = this.blobOperation('POST', name, digest, 'blob upload');
    const started = await this.call({
      method: 'POST',
      kind: 'blob',
      url: this.endpoint(`${name}/blobs/uploads/`),
      scopes,
      operation: startOperation,
    });
    if (started.status !== 202) throw await this.failure(started, startOperation);
    await discard(started);
    let location = this.uploadLocation(started, startOperation);
    const patchOperation = this.blobOperation('PATCH', name, digest, 'blob upload');
    for (let start = 0; start < size; start += chunkSize) {
      const end = Math.min(size, start + chunkSize) - 1;
      const chunk = await openChunk(start, end);
      const response = await this.call({
        method: 'PATCH',
        kind: 'blob',
        url: location,
        scopes,
        operation: patchOperation,
        headers: {
          'content-type': 'application/octet-stream',
          'content-range': `${start}-${end}`,
          'content-length': String(end - start + 1),
        },
        body: chunk,
        // A chunk the request did not read to the end (it failed) still holds its source open.
      }).finally(() => chunk.destroy());
      if (response.status !== 202) throw await this.failure(response, patchOperation);
      await discard(response);
      location = this.uploadLocation(response, patchOperation);
    }
    location.searchParams.set('digest', digest);
    const putOperation = this.blobOperation('PUT', name, digest);
    const response = await this.call({
      method: 'PUT',
      kind: 'blob',
      url: location,
      scopes,
      operation: putOperation,
      headers: { 'content-length': '0' },
    });
    if (response.status !== 201) throw await this.failure(response, putOperation);
    await discard(response);
    return { digest: firstHeader(response.headers, 'docker-content-digest') ?? digest, mounted: false };
  }

  /** Stores a manifest under a tag or its digest; returns the digest the registry gave it. */
  async putManifest(name: string, reference: string, bytes: Uint8Array, mediaType: string): Promise<string> {
    const operation = this.manifestOperation('PUT', name, reference);
    const response = await this.call({
      method: 'PUT',
      kind: 'manifest',
      url: this.endpoint(`${name}/manifests/${reference}`),
      scopes: [pushScope(name)],
      operation,
      headers: { 'content-type': mediaType },
      body: bytes,
    });
    if (response.status !== 201) throw await this.failure(response, operation);
    await discard(response);
    const announced = firstHeader(response.headers, 'docker-content-digest');
    return isDigest(announced)
      ? announced
      : this.verifyManifestDigest(Buffer.from(bytes), mediaType, undefined, operation);
  }

  /** Deletes a manifest by digest; false when the registry did not have it. */
  async deleteManifest(name: string, digest: string): Promise<boolean> {
    const operation = this.manifestOperation('DELETE', name, digest);
    if (!isDigest(digest))
      throw new TypeError(`${describeTarget(name, digest)}: manifests are deleted by digest`);
    const response = await this.call({
      method: 'DELETE',
      kind: 'manifest',
      url: this.endpoint(`${name}/manifests/${digest}`),
      scopes: [`repository:${name}:delete`],
      operation,
    });
    if (response.status === 404) {
      await discard(response);
      return false;
    }
    if (response.status !== 202) throw await this.failure(response, operation);
    await discard(response);
    return true;
  }

  /** Where an upload session continues: the `Location` of the registry's last answer about it. */
  private uploadLocation(response: HttpResponse, operation: RegistryOperation): URL {
    const location = firstHeader(response.headers, 'location');
    if (location === undefined) {
      throw new RegistryError(this.registry, operation, {
        status: response.status,
        reason: 'no Location for the upload',
      });
    }
    return new URL(location, response.url);
  }

  /** Closes the connections; the client cannot be used afterwards. */
  async close(): Promise<void> {
    await this.http.close();
  }

  /**
   * One request with the registry's authentication. A 401 to a request sent without credentials teaches
   * the challenge; a 401 to a token drops that token and fetches a new one, once per call.
   */
  private async call(call: RegistryCall): Promise<HttpResponse> {
    let renewedCredentials = false;
    for (;;) {
      const authorization = await this.auth.authorization(call.scopes, call.operation);
      const response = await this.http.send({
        method: call.method,
        url: call.url,
        kind: call.kind,
        source: this.registry,
        operation: call.operation,
        headers: call.headers,
        privateHeaders: { ...this.customHeaders, ...(authorization !== undefined && { authorization }) },
        credentialOrigin: this.base.origin,
        body: call.body,
        followRedirects: call.followRedirects,
      });
      // A streamed body is gone once sent; such calls come after others that learnt the challenge.
      if (response.status !== 401 || call.body instanceof Readable) return response;
      const wasAnonymous = authorization === undefined;
      if (!wasAnonymous && renewedCredentials) return response;
      if (!this.auth.learnChallenge(response, authorization, call.scopes)) return response;
      renewedCredentials ||= !wasAnonymous;
      await discard(response);
    }
  }

  private async *paginate(
    first: URL,
    kind: RequestKind,
    scopes: readonly string[],
    operation: RegistryOperation,
    field: 'tags' | 'repositories',
  ): AsyncGenerator<string> {
    const visited = new Set<string>();
    for (let url: URL | undefined = first; url !== undefined;) {
      visited.add(url.href);
      const response = await this.call({ method: 'GET', kind, url, scopes, operation });
      if (response.status !== 200) throw await this.failure(response, operation);
      const { bytes, overLimit } = await readBodyUpTo(response, MAX_LIST_PAGE_BYTES);
      if (overLimit) {
        throw new RegistryError(this.registry, operation, {
          reason: `a page is larger than ${MAX_LIST_PAGE_BYTES} bytes`,
        });
      }
      yield* this.listEntries(bytes, field, operation);
      const next = nextPageUrl(response.headers['link'], url);
      // A registry that links a page to itself (or back) would otherwise keep us here forever.
      url = next !== undefined && !visited.has(next.href) ? next : undefined;
    }
  }

  private listEntries(bytes: Buffer, field: 'tags' | 'repositories', operation: RegistryOperation): string[] {
    let document: unknown;
    try {
      document = JSON.parse(bytes.toString('utf8'));
    } catch (cause) {
      throw new RegistryError(this.registry, operation, { reason: 'the answer is not JSON', cause });
    }
    const entries = (document as Record<string, unknown> | null)?.[field];
    // Registries answer `"tags": null` for a repository without tags.
    if (entries === null || entries === undefined) return [];
    if (!Array.isArray(entries) || !entries.every((entry) => typeof entry === 'string')) {
      throw new RegistryError(this.registry, operation, { reason: `"${field}" is not a list of strings` });
    }
    return entries;
  }

  private async readManifestBody(
    response: HttpResponse,
    announced: number | undefined,
    operation: RegistryOperation,
  ): Promise<Buffer> {
    let body;
    try {
      body = await readBodyUpTo(response, MAX_MANIFEST_BYTES);
    } catch (cause) {
      throw new RegistryError(this.registry, operation, { reason: 'the download broke off', cause });
    }
    if (body.overLimit) throw new ManifestTooLargeError(this.registry, operation, MAX_MANIFEST_BYTES);
    if (announced !== undefined && body.bytes.byteLength < announced) {
      throw new TruncatedContentError(this.registry, operation, announced, body.bytes.byteLength);
    }
    return body.bytes;
  }

  /**
   * The manifest's digest, checked against `expected` when known. A signed schema 1 manifest is named by
   * the digest of its payload (signatures stripped); some registries use its bytes' digest, so both match.
   */
  private verifyManifestDigest(
    bytes: Buffer,
    mediaType: string,
    expected: string | undefined,
    operation: RegistryOperation,
  ): string {
    const digester = createDigester(expected !== undefined ? parseDigest(expected).algorithm : 'sha256');
    digester.update(bytes);
    const candidates = [digester.digest()];
    if (isSchema1MediaType(mediaType)) {
      try {
        candidates.unshift(parseManifest(bytes, mediaType).digest);
      } catch {
        // An unparseable schema 1 manifest can only be named by its bytes.
      }
    }
    if (expected === undefined) return candidates[0];
    if (candidates.includes(expected)) return expected;
    throw new DigestMismatchError(this.registry, operation, expected, candidates[0]);
  }

  /** A RegistryError (RegistryAuthError for 401/403 from the registry) built from an unexpected answer. */
  private async failure(response: HttpResponse, operation: RegistryOperation): Promise<RegistryError> {
    const { bytes } = await readBodyUpTo(response, MAX_ERROR_BODY_BYTES).catch(() => ({
      bytes: Buffer.alloc(0),
    }));
    const { code, message } = parseRegistryErrorBody(bytes);
    const details = { status: response.status, code, registryMessage: message };
    const fromRegistry = response.url.origin === this.base.origin;
    if (fromRegistry && (response.status === 401 || response.status === 403)) {
      const reason = this.auth.hasCredentials
        ? 'the credentials were refused or lack access'
        : 'the registry requires credentials';
      return new RegistryAuthError(this.registry, operation, { ...details, reason });
    }
    return new RegistryError(this.registry, operation, details);
  }

  private endpoint(path: string): URL {
    return new URL(`v2/${path}`, this.base);
  }

  private manifestOperation(method: string, name: string, reference: string): RegistryOperation {
    checkRepositoryName(name);
    if (!isValidTag(reference) && !isDigest(reference)) {
      throw new TypeError(`${describeTarget(name, reference)}: the reference is neither a tag nor a digest`);
    }
    return { method, object: 'manifest', repository: name, reference };
  }

  private blobOperation(method: string, name: string, digest: string, object = 'blob'): RegistryOperation {
    checkRepositoryName(name);
    parseDigest(digest);
    return { method, object, repository: name, reference: digest };
  }
}

function parseRegistryUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError('registry url is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`registry url must be http or https, not ${url.protocol}`);
  }
  // Refused rather than used, so a secret never ends up in messages that name the registry.
  if (url.username || url.password) {
    throw new TypeError('registry url must not contain credentials; pass username and password');
  }
  url.search = '';
  url.hash = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

function createDispatcher(options: RegistryClientOptions): Dispatcher {
  const tls = { ca: options.tls?.ca, rejectUnauthorized: options.tls?.rejectUnauthorized ?? true };
  const connections = options.concurrency ?? 8;
  if (options.proxyUrl) return new ProxyAgent({ uri: options.proxyUrl, requestTls: tls, connections });
  return new Agent({ connect: tls, connections });
}

function checkRepositoryName(name: string): void {
  if (!isValidRepositoryName(name)) {
    throw new TypeError(`${JSON.stringify(name)} is not a repository name (OCI distribution name grammar)`);
  }
}

function describeTarget(name: string, reference: string): string {
  return `${name}${isDigest(reference) ? '@' : ':'}${reference}`;
}

function pullScope(name: string): string {
  return `repository:${name}:pull`;
}

function pushScope(name: string): string {
  return `repository:${name}:pull,push`;
}

function contentLength(response: HttpResponse): number | undefined {
  const value = firstHeader(response.headers, 'content-length');
  const size = value === undefined ? NaN : Number(value);
  return Number.isSafeInteger(size) && size >= 0 ? size : undefined;
}

function mediaTypeOf(contentType: string | undefined): string | undefined {
  return contentType?.split(';')[0].trim().toLowerCase() || undefined;
}

/** The Content-Type when it names a manifest type; otherwise (e.g. `application/json`) what the bytes say. */
function manifestMediaType(bytes: Buffer, contentType: string | undefined): string {
  const declared = mediaTypeOf(contentType);
  if (declared !== undefined && isManifestMediaType(declared)) return declared;
  try {
    return parseManifest(bytes, declared).mediaType;
  } catch {
    return declared ?? 'application/octet-stream';
  }
}
