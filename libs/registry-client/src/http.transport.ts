import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { context, propagation } from '@opentelemetry/api';
import type { Dispatcher } from 'undici';
import type { ConcurrencyLimiter } from './concurrency.limiter.js';
import type { TokenBucket } from './rate.limiter.js';
import { RegistryError, type RegistryOperation } from './registry.errors.js';
import type { RequestKind, RequestObserver } from './registry-client.options.js';
import type { RetryPolicy } from './retry.policy.js';

type ResponseHeaders = Record<string, string | string[] | undefined>;

export interface HttpRequest {
  readonly method: Dispatcher.HttpMethod;
  readonly url: URL;
  readonly kind: RequestKind;
  /** Where errors say the request went (the registry's URL or a token server's). */
  readonly source: string;
  readonly operation: RegistryOperation;
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * Credentials and user-configured headers: sent only to `credentialOrigin`, so a redirect to blob
   * storage (or a pagination link elsewhere) never carries them.
   */
  readonly privateHeaders?: Readonly<Record<string, string>>;
  readonly credentialOrigin: string;
  /** A stream body cannot be sent twice: such requests are neither retried nor redirected. */
  readonly body?: Uint8Array | Readable;
  readonly followRedirects?: boolean;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: ResponseHeaders;
  /** Must be consumed or destroyed: it holds a concurrency permit until it closes. */
  readonly body: Dispatcher.ResponseData['body'];
  /** Where the response came from, after redirects. */
  readonly url: URL;
}

export interface HttpTransportOptions {
  readonly dispatcher: Dispatcher;
  readonly concurrency: ConcurrencyLimiter;
  readonly rateLimit?: TokenBucket;
  readonly retry: RetryPolicy;
  readonly userAgent: string;
  readonly onRequest?: RequestObserver;
}

const MAX_REDIRECTS = 5;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export function firstHeader(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Reads a response to its end and drops the bytes (releasing the permit the body holds). */
export async function discard(response: HttpResponse): Promise<void> {
  await response.body.dump().catch(() => undefined);
}

/**
 * Sends HTTP requests within the client's limits: a concurrency permit per request (held until the body
 * closes, so streaming downloads count), the rate limit, retries with backoff for transient failures, and
 * redirects that drop credentials when they leave the origin the credentials are for.
 */
export class HttpTransport {
  constructor(private readonly options: HttpTransportOptions) {}

  async send(request: HttpRequest): Promise<HttpResponse> {
    const replayable = !(request.body instanceof Readable);
    const { retry } = this.options;
    for (let attempt = 0; ; attempt++) {
      const mayRetry = replayable && attempt < retry.maxRetries;
      let response: HttpResponse;
      try {
        response = await this.sendFollowingRedirects(request, replayable);
      } catch (error) {
        if (error instanceof RegistryError) throw error;
        if (mayRetry && retry.isRetryableError(error)) {
          await sleep(retry.delayMs(attempt));
          continue;
        }
        throw new RegistryError(request.source, request.operation, {
          reason: `request failed after ${attempt + 1} attempt(s): ${describeCause(error)}`,
          cause: error,
        });
      }
      if (mayRetry && retry.isRetryableStatus(response.status)) {
        const delay = retry.delayMs(attempt, firstHeader(response.headers, 'retry-after'));
        await discard(response);
        await sleep(delay);
        continue;
      }
      return response;
    }
  }

  async close(): Promise<void> {
    await this.options.dispatcher.close();
  }

  private async sendFollowingRedirects(request: HttpRequest, replayable: boolean): Promise<HttpResponse> {
    let url = request.url;
    for (let hop = 0; ; hop++) {
      const response = await this.sendOnce(request, url);
      const location = firstHeader(response.headers, 'location');
      const redirected = REDIRECT_STATUSES.has(response.status) && location !== undefined;
      if (!redirected || !request.followRedirects || !replayable) return response;
      await discard(response);
      if (hop === MAX_REDIRECTS) {
        throw new RegistryError(request.source, request.operation, {
          reason: `more than ${MAX_REDIRECTS} redirects`,
        });
      }
      url = new URL(location, url);
    }
  }

  private async sendOnce(request: HttpRequest, url: URL): Promise<HttpResponse> {
    const release = await this.options.concurrency.acquire();
    try {
      await this.options.rateLimit?.take();
      this.options.onRequest?.(request.method, request.kind, url.href);
      const withCredentials = url.origin === request.credentialOrigin;
      // The trace the sync belongs to continues at the upstream registry (W3C traceparent), when tracing is on.
      const trace: Record<string, string> = {};
      propagation.inject(context.active(), trace);
      const { statusCode, headers, body } = await this.options.dispatcher.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: request.method,
        headers: {
          'user-agent': this.options.userAgent,
          ...trace,
          ...request.headers,
          ...(withCredentials ? request.privateHeaders : undefined),
        },
        body: request.body,
      });
      if (body.closed) release();
      else body.once('close', release);
      return { status: statusCode, headers, body, url };
    } catch (error) {
      release();
      throw error;
    }
  }
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const inner = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${typeof code === 'string' ? `${code} ` : ''}${error.message}${inner}`;
}
