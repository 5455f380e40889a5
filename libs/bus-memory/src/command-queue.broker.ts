import type { BusMessage } from '@wharf/ports';
import { Fifo } from './fifo.util.js';
import { decodePayload } from './payload.util.js';
import { redeliveryDelayMs } from './redelivery.util.js';

/** A message as the broker keeps it: its payload as JSON text, so each delivery hands out a fresh copy. */
export interface StoredMessage {
  readonly id: string;
  readonly subject: string;
  readonly body: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
}

/** One `consumeCommands` registration: a handler with its own number of slots. */
export interface CommandWorker {
  readonly handler: (message: BusMessage<unknown>) => Promise<void>;
  readonly concurrency: number;
  readonly ackWaitMs: number;
}

interface QueuedCommand {
  readonly message: StoredMessage;
  deliveries: number;
}

/** A delivery waiting for its handler; only the latest delivery of a command may acknowledge it. */
interface Lease {
  readonly command: QueuedCommand;
  expiry: NodeJS.Timeout;
}

interface AttachedWorker extends CommandWorker {
  /** Handlers of this worker still running — including ones whose lease expired, as a hung handler keeps its slot. */
  running: number;
}

/**
 * The work queue of one command subject. Each command goes to one worker at a time; it is done when the
 * handler resolves, and goes back to the front of the queue when the handler throws (after a short delay)
 * or does not settle within the worker's ack wait.
 */
export class CommandQueue {
  private readonly waiting = new Fifo<QueuedCommand>();
  private readonly leases = new Set<Lease>();
  private workers: AttachedWorker[] = [];
  private nextWorker = 0;
  /** Commands whose handler threw, sitting out their redelivery delay. */
  private retrying = 0;

  /** Commands not yet acknowledged: waiting, being handled, or about to be retried. */
  get unacknowledged(): number {
    return this.waiting.size + this.leases.size + this.retrying;
  }

  enqueue(message: StoredMessage): void {
    this.waiting.pushBack({ message, deliveries: 0 });
    this.dispatch();
  }

  /** Starts delivering to `worker`; the returned function stops that (its running handlers finish on their own). */
  attach(worker: CommandWorker): () => void {
    const attached: AttachedWorker = { ...worker, running: 0 };
    this.workers.push(attached);
    this.dispatch();
    return () => {
      this.workers = this.workers.filter((w) => w !== attached);
    };
  }

  private dispatch(): void {
    while (this.waiting.size > 0) {
      const worker = this.idleWorker();
      if (!worker) return;
      this.deliver(worker, this.waiting.shift()!);
    }
  }

  /** Round-robin over workers with a free slot, so competing consumers share the load. */
  private idleWorker(): AttachedWorker | undefined {
    for (let i = 0; i < this.workers.length; i++) {
      const worker = this.workers[(this.nextWorker + i) % this.workers.length]!;
      if (worker.running < worker.concurrency) {
        this.nextWorker = (this.nextWorker + i + 1) % this.workers.length;
        return worker;
      }
    }
    return undefined;
  }

  private deliver(worker: AttachedWorker, command: QueuedCommand): void {
    command.deliveries++;
    const startAckWait = () => setTimeout(() => this.expire(lease), worker.ackWaitMs).unref();
    const lease: Lease = { command, expiry: startAckWait() };
    this.leases.add(lease);
    worker.running++;
    const { message } = command;
    const delivery: BusMessage<unknown> = {
      id: message.id,
      subject: message.subject,
      data: decodePayload(message.body),
      headers: { ...message.headers },
      deliveryCount: command.deliveries,
      working: async () => {
        // A lease already settled or expired belongs to no one any more; renewing it would revive it.
        if (!this.leases.has(lease)) return;
        clearTimeout(lease.expiry);
        lease.expiry = startAckWait();
      },
    };
    // Started on a later tick so a handler never runs inside the sender's call.
    void Promise.resolve()
      .then(() => worker.handler(delivery))
      .then(
        () => true,
        () => false,
      )
      .then((succeeded) => {
        worker.running--;
        this.settle(lease, succeeded);
        this.dispatch();
      });
  }

  private settle(lease: Lease, succeeded: boolean): void {
    // A lease that expired was already handed back; this late outcome belongs to an older delivery.
    if (!this.leases.delete(lease)) return;
    clearTimeout(lease.expiry);
    if (succeeded) return;
    this.retrying++;
    setTimeout(() => {
      this.retrying--;
      this.waiting.pushFront(lease.command);
      this.dispatch();
    }, redeliveryDelayMs(lease.command.deliveries)).unref();
  }

  private expire(lease: Lease): void {
    if (!this.leases.delete(lease)) return;
    this.waiting.pushFront(lease.command);
    this.dispatch();
  }
}
