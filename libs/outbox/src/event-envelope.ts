import type { StoredEvent } from '@wharf/ports';

/** A stored event as it travels on the bus: plain JSON, the time as an ISO 8601 string. */
export interface EventEnvelope<T = unknown> {
  readonly id: string;
  readonly type: string;
  readonly stream: string;
  readonly position: number;
  readonly globalPosition: number;
  readonly recordedAt: string;
  readonly data: T;
  /** Empty when the event was stored without metadata. */
  readonly metadata: Readonly<Record<string, string>>;
}

export function toEventEnvelope<T>(event: StoredEvent<T>): EventEnvelope<T> {
  return {
    id: event.id,
    type: event.type,
    stream: event.stream,
    position: event.position,
    globalPosition: event.globalPosition,
    recordedAt: event.recordedAt.toISOString(),
    data: event.data,
    metadata: event.metadata ?? {},
  };
}
