import { AsyncLocalStorage } from 'node:async_hooks';
import type { EventSubscription, StoredEvent } from '../index.js';

export interface PollingSubscriptionOptions {
  readonly after: number;
  readonly handler: (event: StoredEvent) => Promise<void>;
  readonly onError?: (error: unknown) => void;
  /** One page of events in global order after `after`. */
  readonly readPage: (after: number, limit: number) => Promise<StoredEvent[]>;
  readonly pageSize: number;
  readonly pollIntervalMs: number;
  /** Told once the subscription has stopped for good, so the store can forget it. */
  readonly onStopped: () => void;
}

/**
 * The subscription whose handler the current async context is running in. close() called from inside a
 * handler must not wait for that very handler to return.
 */
const handlerContext = new AsyncLocalStorage<PollingSubscription>();

/**
 * Delivers the backlog and then new events, one at a time, by reading pages in global order. Appends made
 * through the same store wake it at once (`notify`); appends by other processes are found by polling.
 */
export class PollingSubscription implements EventSubscription {
  private closed = false;
  /** Set by notify(); an append that lands while a page is being handled must not wait for the next poll. */
  private woken = false;
  private endIdle: (() => void) | undefined;
  private readonly stopped: Promise<void>;

  constructor(private readonly options: PollingSubscriptionOptions) {
    this.stopped = this.deliver();
  }

  notify(): void {
    this.woken = true;
    this.endIdle?.();
  }

  /** Stops delivery; resolves once a handler call in progress has returned (unless called from it). */
  async close(): Promise<void> {
    this.closed = true;
    this.endIdle?.();
    if (handlerContext.getStore() === this) return;
    await this.stopped;
  }

  private async deliver(): Promise<void> {
    const { handler, readPage, pageSize } = this.options;
    let checkpoint = this.options.after;
    try {
      while (!this.closed) {
        this.woken = false;
        const page = await readPage(checkpoint, pageSize);
        for (const event of page) {
          if (this.closed) return;
          await handlerContext.run(this, () => handler(event));
          checkpoint = event.globalPosition;
        }
        if (page.length < pageSize) await this.idle();
      }
    } catch (error) {
      // A closed subscription reports nothing more: errors after close() come from its shutdown.
      if (!this.closed) this.options.onError?.(error);
    } finally {
      this.closed = true;
      this.options.onStopped();
    }
  }

  private idle(): Promise<void> {
    if (this.woken || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(), this.options.pollIntervalMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.endIdle = undefined;
        resolve();
      };
      this.endIdle = finish;
    });
  }
}
