export { OutboxRelay, type OutboxRelayOptions } from './outbox-relay.js';
export { toEventEnvelope, type EventEnvelope } from './event-envelope.js';
