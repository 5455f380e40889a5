import { describe, expect, it } from 'vitest';
import { RetryPolicy } from './retry.policy.js';

const now = Date.parse('2025-01-01T00:00:00Z');
const policy = (random = 0.5) =>
  new RetryPolicy({
    maxRetries: 4,
    baseDelayMs: 100,
    maxDelayMs: 5_000,
    random: () => random,
    now: () => now,
  });

describe('RetryPolicy', () => {
  it('retries 429 and server errors, not client errors or 501/505', () => {
    const retry = policy();
    expect([429, 500, 502, 503, 504].every((status) => retry.isRetryableStatus(status))).toBe(true);
    expect([400, 401, 403, 404, 409, 501, 505].some((status) => retry.isRetryableStatus(status))).toBe(false);
  });

  it('retries connection failures, also when wrapped as a cause, but not other errors', () => {
    const retry = policy();
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(retry.isRetryableError(refused)).toBe(true);
    expect(retry.isRetryableError(new Error('fetch failed', { cause: refused }))).toBe(true);
    const certificate = Object.assign(new Error('self-signed'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(retry.isRetryableError(certificate)).toBe(false);
    expect(retry.isRetryableError('ECONNRESET')).toBe(false);
  });

  it('doubles the delay per attempt with jitter between half and all of it, up to the maximum', () => {
    expect([0, 1, 2, 3].map((attempt) => policy(0).delayMs(attempt))).toEqual([50, 100, 200, 400]);
    expect([0, 1, 2, 3].map((attempt) => policy(0.999999).delayMs(attempt))).toEqual([100, 200, 400, 800]);
    expect(policy(0.999999).delayMs(20)).toBe(5_000);
  });

  it('honours Retry-After in seconds or as a date, capped by the maximum delay', () => {
    expect(policy().delayMs(0, '2')).toBe(2_000);
    expect(policy().delayMs(0, new Date(now + 3_000).toUTCString())).toBe(3_000);
    expect(policy().delayMs(0, new Date(now - 3_000).toUTCString())).toBe(0);
    expect(policy().delayMs(0, '600')).toBe(5_000);
    expect(policy(0).delayMs(1, 'soon')).toBe(100);
  });
});
