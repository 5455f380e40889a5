import type { Consumer, ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import { ClosedConnectionError, DrainingConnectionError } from '@nats-io/transport-node';

/** How long one pull request waits on the server; short enough that a lost request is renewed quickly. */
const PULL_EXPIRES_MS = 10_000;
/** Pause before pulling again after a failed pull (NATS reconnecting, consumer briefly missing). */
const RETRY_PAUSE_MS = 1_000;

/**
 * Pulls messages from a durable JetStream consumer and runs at most `slots` handlers at once. It asks the
 * server only for as many messages as it has free slots, so no message sits in a client-side buffer while
 * its ack wait runs out (which would redeliver it to another process while this one still holds it).
 * A handler that never settles keeps its slot: this consumer then takes less work, as a stuck process would.
 */
export class PullLoop {
  private running = 0;
  private stopped = false;
  private batch: ConsumerMessages | undefined;
  private wake: (() => void) | undefined;
  private readonly finished: Promise<void>;

  constructor(
    private readonly consumer: Consumer,
    private readonly slots: number,
    /** Must settle every message itself (ack, nak or term) and never reject. */
    private readonly process: (message: JsMsg) => Promise<void>,
  ) {
    this.finished = this.run();
  }

  /** Stops pulling. Handlers already running finish on their own; their acknowledgements still count. */
  async close(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    // Not awaited: a batch's close() settles only once its iterator in run() has seen the end.
    void this.batch?.close();
    await this.finished;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.running >= this.slots) {
        await this.pause();
        continue;
      }
      try {
        const batch = await this.consumer.fetch({
          max_messages: this.slots - this.running,
          expires: PULL_EXPIRES_MS,
        });
        this.batch = batch;
        if (this.stopped) void batch.close();
        for await (const message of batch) {
          // Pulled while closing: hand it straight back rather than let it wait out its ack wait.
          if (this.stopped) message.nak();
          else this.dispatch(message);
        }
      } catch (error) {
        if (error instanceof ClosedConnectionError || error instanceof DrainingConnectionError) return;
        if (!this.stopped) await this.pause(RETRY_PAUSE_MS);
      } finally {
        this.batch = undefined;
      }
    }
  }

  private dispatch(message: JsMsg): void {
    this.running++;
    void this.process(message).finally(() => {
      this.running--;
      this.wake?.();
    });
  }

  /** Waits for a slot to free up, for close(), or for `ms` when given. */
  private pause(ms?: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => this.wake?.(), ms);
      this.wake = () => {
        this.wake = undefined;
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
