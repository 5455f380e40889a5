export { NatsBus, natsConnectionOptions, type NatsBusOptions } from './nats-bus.adapter.js';
export { natsStreamNames, type NatsStreamNames } from './nats-layout.util.js';
