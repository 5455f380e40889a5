export { InMemoryBroker, type InMemoryBrokerOptions, type InMemoryBrokerStats } from './in-memory.broker.js';
export { InMemoryBus } from './in-memory-bus.adapter.js';
