import type { BusMessage } from '@wharf/ports';
import type { StoredMessage } from './command-queue.broker.js';
import { decodePayload } from './payload.util.js';
import { redeliveryDelayMs } from './redelivery.util.js';
import { compileSubjectFilter } from './subject.util.js';

export interface EventLogLimits {
  /** Events older than this are dropped even if a subscriber has not seen them yet. */
  readonly maxAgeMs: number;
  /** At most this many events are kept; the oldest go first. */
  readonly maxCount: number;
  /** A handler that has not settled after this long is presumed dead and the event is offered again. */
  readonly ackWaitMs: number;
}

export type EventHandler = (message: BusMessage<unknown>) => Promise<void>;

interface StoredEvent extends StoredMessage {
  readonly seq: number;
  readonly storedAt: number;
}

interface EventLease {
  readonly seq: number;
  expiry: NodeJS.Timeout;
}

/** A registered `subscribeEvents` handler; wrapped so the same function can be attached twice. */
interface Attachment {
  readonly handler: EventHandler;
}

/** A named subscriber's position survives while no handler is attached, so it resumes where it left off. */
class DurableSubscriber {
  /** Sequence of the next event this subscriber still has to acknowledge. */
  cursor: number;
  lease: EventLease | undefined;
  retry: NodeJS.Timeout | undefined;
  attachments: Attachment[] = [];
  nextAttachment = 0;
  /** Deliveries so far of the event at `attemptsSeq`, for BusMessage.deliveryCount. */
  attempts = 0;
  attemptsSeq = 0;

  constructor(
    readonly name: string,
    readonly filter: string,
    readonly matches: (subject: string) => boolean,
    startSeq: number,
  ) {
    this.cursor = startSeq;
  }
}

/**
 * The event stream with its durable subscribers. Each subscriber walks the log in order, one event in flight
 * at a time, and moves on only when the handler resolves. Memory stays bounded: an event is dropped once
 * every known subscriber has moved past it (or it exceeds the age or count limit). While no subscriber is
 * known yet, events are kept so the first one — a service that starts after the publisher — still sees them.
 */
export class EventLog {
  private readonly events = new Map<number, StoredEvent>();
  private readonly subscribers = new Map<string, DurableSubscriber>();
  private firstSeq = 1;
  private nextSeq = 1;

  constructor(private readonly limits: EventLogLimits) {}

  /** Events still held in memory. */
  get size(): number {
    return this.events.size;
  }

  append(message: StoredMessage): void {
    const seq = this.nextSeq++;
    this.events.set(seq, { ...message, seq, storedAt: Date.now() });
    for (const subscriber of this.subscribers.values()) this.pump(subscriber);
    this.trim();
  }

  /**
   * Attaches `handler` to the subscriber `name`, creating it at the oldest kept event if it is new. Returns
   * the function that detaches the handler; the subscriber and its position stay.
   */
  subscribe(name: string, filter: string, handler: EventHandler): () => void {
    let subscriber = this.subscribers.get(name);
    if (subscriber && subscriber.filter !== filter) {
      throw new Error(
        `subscriber '${name}' already follows '${subscriber.filter}'; subscribe to '${filter}' under another name`,
      );
    }
    if (!subscriber) {
      subscriber = new DurableSubscriber(name, filter, compileSubjectFilter(filter), this.firstSeq);
      this.subscribers.set(name, subscriber);
    }
    const attachment: Attachment = { handler };
    subscriber.attachments.push(attachment);
    this.trim();
    this.pump(subscriber);
    const attached = subscriber;
    return () => {
      attached.attachments = attached.attachments.filter((a) => a !== attachment);
    };
  }

  private pump(subscriber: DurableSubscriber): void {
    this.skipUnmatched(subscriber);
    if (subscriber.lease || subscriber.retry || subscriber.attachments.length === 0) return;
    const event = this.events.get(subscriber.cursor);
    if (!event) return;
    const attachment = subscriber.attachments[subscriber.nextAttachment++ % subscriber.attachments.length]!;
    if (subscriber.attemptsSeq !== event.seq) {
      subscriber.attemptsSeq = event.seq;
      subscriber.attempts = 0;
    }
    subscriber.attempts++;
    const startAckWait = () =>
      setTimeout(() => this.expire(subscriber, lease), this.limits.ackWaitMs).unref();
    const lease: EventLease = { seq: event.seq, expiry: startAckWait() };
    subscriber.lease = lease;
    const delivery: BusMessage<unknown> = {
      id: event.id,
      subject: event.subject,
      data: decodePayload(event.body),
      headers: { ...event.headers },
      deliveryCount: subscriber.attempts,
      working: async () => {
        if (subscriber.lease !== lease) return;
        clearTimeout(lease.expiry);
        lease.expiry = startAckWait();
      },
    };
    void Promise.resolve()
      .then(() => attachment.handler(delivery))
      .then(
        () => true,
        () => false,
      )
      .then((succeeded) => this.settle(subscriber, lease, succeeded));
  }

  /** Moves the cursor over events this subscriber does not want and over events already dropped. */
  private skipUnmatched(subscriber: DurableSubscriber): void {
    subscriber.cursor = Math.max(subscriber.cursor, this.firstSeq);
    for (let event = this.events.get(subscriber.cursor); event; event = this.events.get(subscriber.cursor)) {
      if (subscriber.matches(event.subject)) return;
      subscriber.cursor++;
    }
  }

  private settle(subscriber: DurableSubscriber, lease: EventLease, succeeded: boolean): void {
    // Only the current delivery counts; a handler that outlived its ack wait reports too late.
    if (subscriber.lease !== lease) return;
    clearTimeout(lease.expiry);
    subscriber.lease = undefined;
    if (succeeded) {
      subscriber.cursor = Math.max(subscriber.cursor, lease.seq + 1);
      this.pump(subscriber);
      this.trim();
      return;
    }
    subscriber.retry = setTimeout(() => {
      subscriber.retry = undefined;
      this.pump(subscriber);
    }, redeliveryDelayMs(subscriber.attempts)).unref();
  }

  private expire(subscriber: DurableSubscriber, lease: EventLease): void {
    if (subscriber.lease !== lease) return;
    subscriber.lease = undefined;
    this.pump(subscriber);
  }

  private trim(): void {
    const oldestKept = Date.now() - this.limits.maxAgeMs;
    for (let event = this.events.get(this.firstSeq); event; event = this.events.get(this.firstSeq)) {
      const overLimit = event.storedAt < oldestKept || this.events.size > this.limits.maxCount;
      if (!overLimit && !this.everySubscriberIsPast(event.seq)) return;
      this.events.delete(this.firstSeq++);
    }
  }

  private everySubscriberIsPast(seq: number): boolean {
    if (this.subscribers.size === 0) return false;
    for (const subscriber of this.subscribers.values()) if (subscriber.cursor <= seq) return false;
    return true;
  }
}
