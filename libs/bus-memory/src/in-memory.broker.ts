import { CommandQueue, type CommandWorker, type StoredMessage } from './command-queue.broker.js';
import { DedupeWindow } from './dedupe-window.util.js';
import { EventLog, type EventHandler } from './event-log.broker.js';
import { RequestRouter, type RequestHandler } from './request-router.broker.js';

export interface InMemoryBrokerOptions {
  /** Events older than this are dropped even if a subscriber has not seen them; default 7 days. */
  readonly eventsMaxAgeMs?: number;
  /** At most this many events are kept, the oldest dropped first; default 100,000. */
  readonly eventsMaxCount?: number;
  /** A message id seen again within this window is stored once; default 2 minutes. */
  readonly duplicateWindowMs?: number;
  /** An event handler that has not settled after this long gets the event again; default 30 s. */
  readonly eventAckWaitMs?: number;
}

export interface InMemoryBrokerStats {
  /** Events kept because a known subscriber has not moved past them yet. */
  readonly events: number;
  /** Commands not yet acknowledged, over all subjects. */
  readonly commands: number;
}

/**
 * The in-process message broker shared by every service of the all-in-one mode. Each service talks to it
 * through its own InMemoryBus handle, so closing one service's handle detaches only that service. The
 * broker keeps the port's promises within the process: work queues with acknowledgement and redelivery,
 * durable named event subscribers, deduplication by message id, and request routing.
 */
export class InMemoryBroker {
  private readonly commandQueues = new Map<string, CommandQueue>();
  private readonly commandIds: DedupeWindow;
  private readonly eventIds: DedupeWindow;
  private readonly events: EventLog;
  private readonly requests = new RequestRouter();

  constructor(options: InMemoryBrokerOptions = {}) {
    const duplicateWindowMs = options.duplicateWindowMs ?? 2 * 60_000;
    this.commandIds = new DedupeWindow(duplicateWindowMs);
    this.eventIds = new DedupeWindow(duplicateWindowMs);
    this.events = new EventLog({
      maxAgeMs: options.eventsMaxAgeMs ?? 7 * 24 * 3_600_000,
      maxCount: options.eventsMaxCount ?? 100_000,
      ackWaitMs: options.eventAckWaitMs ?? 30_000,
    });
  }

  stats(): InMemoryBrokerStats {
    let commands = 0;
    for (const queue of this.commandQueues.values()) commands += queue.unacknowledged;
    return { events: this.events.size, commands };
  }

  sendCommand(message: StoredMessage): void {
    if (this.commandIds.admit(message.id)) this.commandQueue(message.subject).enqueue(message);
  }

  /** Returns the function that detaches the worker. */
  consumeCommands(subject: string, worker: CommandWorker): () => void {
    return this.commandQueue(subject).attach(worker);
  }

  publishEvent(message: StoredMessage): void {
    if (this.eventIds.admit(message.id)) this.events.append(message);
  }

  /** Returns the function that detaches the handler; the subscriber keeps its position. */
  subscribeEvents(subscriber: string, subjectFilter: string, handler: EventHandler): () => void {
    return this.events.subscribe(subscriber, subjectFilter, handler);
  }

  /** Returns the function that removes the handler. */
  handleRequests(subjectFilter: string, handler: RequestHandler): () => void {
    return this.requests.add(subjectFilter, handler);
  }

  requestHandlerFor(subject: string): RequestHandler | undefined {
    return this.requests.route(subject);
  }

  private commandQueue(subject: string): CommandQueue {
    let queue = this.commandQueues.get(subject);
    if (!queue) {
      queue = new CommandQueue();
      this.commandQueues.set(subject, queue);
    }
    return queue;
  }
}
