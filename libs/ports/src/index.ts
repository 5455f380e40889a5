export * from './event-store.port.js';
export * from './blob-store.port.js';
export * from './message-bus.port.js';
export * from './content-index.port.js';
export * from './object-store.port.js';
