import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type ConsumerInfo,
  type JetStreamManager,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { NatsLayout } from './nats-layout.util.js';

/** JetStream API error codes this module reacts to. */
const STREAM_NAME_IN_USE = 10058;
const CONSUMER_NOT_FOUND = 10014;

export interface StreamLimits {
  readonly eventsMaxAgeMs: number;
  readonly duplicateWindowMs: number;
}

/**
 * Creates both streams, or brings existing ones to the configured limits. Every process runs this at start,
 * so the configuration of the last one started wins for max age and duplicate window.
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  layout: NatsLayout,
  limits: StreamLimits,
): Promise<void> {
  const duplicateWindow = nanos(limits.duplicateWindowMs);
  await ensureStream(jsm, {
    name: layout.streams.commands,
    subjects: [layout.commandSubject('>')],
    // A command leaves the stream once acknowledged: the stream is the queue.
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    duplicate_window: duplicateWindow,
  });
  await ensureStream(jsm, {
    name: layout.streams.events,
    subjects: [layout.eventSubject('>')],
    // Events stay for their max age whoever has read them, so a subscriber offline for a while catches up.
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(limits.eventsMaxAgeMs),
    duplicate_window: duplicateWindow,
  });
}

async function ensureStream(
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string },
): Promise<void> {
  try {
    await jsm.streams.add(config);
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === STREAM_NAME_IN_USE)) {
      throw new Error(`cannot create JetStream stream '${config.name}': ${(error as Error).message}`, {
        cause: error,
      });
    }
    try {
      await jsm.streams.update(config.name, config);
    } catch (updateError) {
      throw new Error(
        `JetStream stream '${config.name}' exists with a configuration that cannot be changed to Wharf's: ${(updateError as Error).message}`,
        { cause: updateError },
      );
    }
  }
}

/**
 * The durable work-queue consumer of one command subject. Adding a durable that exists updates it, so the
 * ack wait of the process that started consuming last applies to all.
 */
export async function ensureCommandConsumer(
  jsm: JetStreamManager,
  layout: NatsLayout,
  subject: string,
  ackWaitMs: number,
): Promise<string> {
  const name = layout.commandConsumer(subject);
  await addConsumer(jsm, layout.streams.commands, {
    durable_name: name,
    filter_subject: layout.commandSubject(subject),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(ackWaitMs),
    max_deliver: -1,
  });
  return name;
}

/**
 * The durable consumer behind a named event subscriber. One message in flight at a time (max_ack_pending 1)
 * keeps publish order even when several processes share the subscriber name.
 */
export async function ensureSubscriberConsumer(
  jsm: JetStreamManager,
  layout: NatsLayout,
  subscriber: string,
  subjectFilter: string,
  ackWaitMs: number,
): Promise<string> {
  const filter = layout.eventSubject(subjectFilter);
  const existing = await consumerInfo(jsm, layout.streams.events, subscriber);
  if (existing) {
    // nats-server would silently retarget the durable, skipping or replaying events; refuse instead.
    if (existing.config.filter_subject !== filter) {
      throw new Error(
        `subscriber '${subscriber}' already follows '${layout.portSubject(existing.config.filter_subject ?? '')}'; subscribe to '${subjectFilter}' under another name`,
      );
    }
    return subscriber;
  }
  await addConsumer(jsm, layout.streams.events, {
    durable_name: subscriber,
    filter_subject: filter,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(ackWaitMs),
    max_ack_pending: 1,
    max_deliver: -1,
  });
  return subscriber;
}

async function consumerInfo(
  jsm: JetStreamManager,
  stream: string,
  name: string,
): Promise<ConsumerInfo | null> {
  try {
    return await jsm.consumers.info(stream, name);
  } catch (error) {
    if (error instanceof JetStreamApiError && error.code === CONSUMER_NOT_FOUND) return null;
    throw new Error(`cannot look up consumer '${name}' of stream '${stream}': ${(error as Error).message}`, {
      cause: error,
    });
  }
}

async function addConsumer(
  jsm: JetStreamManager,
  stream: string,
  config: Partial<ConsumerConfig>,
): Promise<void> {
  try {
    await jsm.consumers.add(stream, config);
  } catch (error) {
    throw new Error(
      `cannot create consumer '${config.durable_name}' on stream '${stream}': ${(error as Error).message}`,
      { cause: error },
    );
  }
}
