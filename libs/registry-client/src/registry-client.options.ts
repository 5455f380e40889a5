/** What an upstream request is for, as `onRequest` reports it (benchmarks count requests by kind). */
export type RequestKind = 'manifest' | 'blob' | 'tags' | 'catalog' | 'token' | 'ping';

/** Called for every HTTP request sent, including retries, redirects and token requests. */
export type RequestObserver = (method: string, kind: RequestKind, url: string) => void;

export interface RegistryTlsOptions {
  /** PEM of the certificate authority (or self-signed certificate) to trust for this registry. */
  readonly ca?: string;
  /** Default true; false accepts any certificate (test registries only). */
  readonly rejectUnauthorized?: boolean;
}

export interface RegistryClientOptions {
  /** Base URL of the registry, e.g. `https://registry-1.docker.io` (credentials do not belong here). */
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  readonly tls?: RegistryTlsOptions;
  /** HTTP(S) proxy every request goes through (tunnelled with CONNECT). */
  readonly proxyUrl?: string;
  /** Requests in flight at once, streaming blob downloads included (default 8). */
  readonly concurrency?: number;
  /** Requests started per second, token bucket with a one-second burst (default unlimited). */
  readonly rateLimitPerSecond?: number;
  /** Retries after connection errors, 429 and 5xx (default 4). */
  readonly maxRetries?: number;
  /** First retry delay before jitter; doubles per attempt (default 250 ms). */
  readonly retryBaseDelayMs?: number;
  /** Upper bound for one retry delay, `Retry-After` included (default 30 s). */
  readonly maxRetryDelayMs?: number;
  /** Extra headers for the registry's own origin (never sent to redirect targets or token servers). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly userAgent?: string;
  readonly onRequest?: RequestObserver;
}
