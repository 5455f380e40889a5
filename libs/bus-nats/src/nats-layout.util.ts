import { createHash } from 'node:crypto';

const PREFIX = /^[A-Za-z0-9_-]+$/;

export interface NatsStreamNames {
  readonly commands: string;
  readonly events: string;
}

/** The JetStream streams a bus with this prefix keeps its commands and events in. */
export function natsStreamNames(streamPrefix: string): NatsStreamNames {
  return { commands: `${streamPrefix}-commands`, events: `${streamPrefix}-events` };
}

/**
 * Where the port's subjects live on NATS. Everything hangs under the stream prefix so several Wharf
 * installations (or parallel test runs) share one NATS without seeing each other:
 *
 *   <prefix>.cmd.<subject>   commands   stream <prefix>-commands (work queue)
 *   <prefix>.evt.<subject>   events     stream <prefix>-events   (limits: max age, duplicate window)
 *   <prefix>.req.<subject>   requests   core NATS, queue group <prefix>-requests
 */
export class NatsLayout {
  readonly streams: NatsStreamNames;
  readonly requestQueue: string;

  constructor(readonly prefix: string) {
    if (!PREFIX.test(prefix)) {
      throw new Error(`stream prefix '${prefix}' may contain only letters, digits, '-' and '_'`);
    }
    this.streams = natsStreamNames(prefix);
    this.requestQueue = `${prefix}-requests`;
  }

  commandSubject(subject: string): string {
    return `${this.prefix}.cmd.${subject}`;
  }

  eventSubject(subject: string): string {
    return `${this.prefix}.evt.${subject}`;
  }

  requestSubject(subject: string): string {
    return `${this.prefix}.req.${subject}`;
  }

  /** The port's subject of a message that arrived on a NATS subject of this layout. */
  portSubject(natsSubject: string): string {
    return natsSubject.slice(natsSubject.indexOf('.', this.prefix.length + 1) + 1);
  }

  /**
   * One durable consumer per command subject, named the same in every process so they share its work. Durable
   * names allow no dots; the hash keeps `a.b` and `a_b` apart.
   */
  commandConsumer(subject: string): string {
    const readable = subject.replace(/[^A-Za-z0-9_-]/g, '_');
    const hash = createHash('sha256').update(subject).digest('hex').slice(0, 8);
    return `cmd-${readable}-${hash}`;
  }
}
