export interface RetryPolicyOptions {
  readonly maxRetries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Source of jitter, in [0, 1). */
  readonly random?: () => number;
  readonly now?: () => number;
}

// Failures of the connection itself, which a later attempt may not meet (as opposed to TLS or URL errors).
const TRANSIENT_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * When to try a request again and how long to wait: connection errors, 429 and 5xx are retried (501 and 505
 * say the server never will), with exponential backoff and jitter so many clients do not retry in lockstep,
 * unless the server said when to come back (`Retry-After`).
 */
export class RetryPolicy {
  readonly maxRetries: number;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(private readonly options: RetryPolicyOptions) {
    this.maxRetries = options.maxRetries;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? Date.now;
  }

  isRetryableStatus(status: number): boolean {
    return status === 429 || (status >= 500 && status <= 599 && status !== 501 && status !== 505);
  }

  isRetryableError(error: unknown): boolean {
    for (let current = error; current instanceof Error; current = current.cause) {
      const code = (current as { code?: unknown }).code;
      if (typeof code === 'string' && TRANSIENT_ERROR_CODES.has(code)) return true;
    }
    return false;
  }

  /** Delay before retry number `attempt + 1` (attempt counts from 0). */
  delayMs(attempt: number, retryAfter?: string): number {
    const requested = retryAfter === undefined ? undefined : this.parseRetryAfter(retryAfter);
    if (requested !== undefined) return Math.min(requested, this.options.maxDelayMs);
    const ceiling = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** attempt);
    // Half fixed, half random: never hammers immediately, still spreads clients apart.
    return Math.round(ceiling / 2 + (ceiling / 2) * this.random());
  }

  /** `Retry-After` is delay-seconds or an HTTP date. */
  private parseRetryAfter(value: string): number | undefined {
    const trimmed = value.trim();
    if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
    const date = Date.parse(trimmed);
    return Number.isNaN(date) ? undefined : Math.max(0, date - this.now());
  }
}
