import { createHmac } from 'node:crypto';
import type { OutgoingMessage } from '@wharf/ports';
import type { Secret } from '@wharf/runtime';
import { CLOUD_EVENT_CONTENT_TYPE } from './cloud-event.js';

export const SIGNATURE_HEADER = 'Wharf-Signature-256';
export const TIMESTAMP_HEADER = 'Wharf-Timestamp';
const DELIVERY_TIMEOUT_MS = 10_000;

/** `sha256=<hex>`: HMAC-SHA256 under the shared secret of `<timestamp>.<body>` (docs/audit.md). */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * Delivers CloudEvents to one webhook by HTTP POST, signed so the receiver knows they come from this Wharf
 * and were not replayed from long ago (the timestamp is signed too). Anything but a 2xx answer is a failure
 * the relay driving it retries, with backoff, without moving on: the receiver gets every event, in order.
 */
export class WebhookSink {
  /** The URL without its query, which may hold a token: what logs and errors show. */
  readonly shownUrl: string;

  constructor(
    private readonly url: string,
    private readonly secret: Secret,
  ) {
    const parsed = new URL(url);
    this.shownUrl = `${parsed.origin}${parsed.pathname}`;
  }

  async publishEvent(_subject: string, message: OutgoingMessage): Promise<void> {
    const body = JSON.stringify(message.data);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const response = await fetch(this.url, {
      method: 'POST',
      headers: {
        'Content-Type': CLOUD_EVENT_CONTENT_TYPE,
        [TIMESTAMP_HEADER]: timestamp,
        [SIGNATURE_HEADER]: webhookSignature(this.secret.reveal(), timestamp, body),
      },
      body,
      redirect: 'error',
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
    });
    await response.body?.cancel();
    if (!response.ok) {
      throw new Error(`webhook ${this.shownUrl} answered ${response.status} to event ${message.id}`);
    }
  }
}
