export { MongoEventStore, type MongoEventStoreOptions } from './mongo-event-store.adapter.js';
