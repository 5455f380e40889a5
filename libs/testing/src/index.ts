export * from './servers.js';
export * from './wharf-process.js';
export * from './contracts/event-store.contract.js';
export * from './contracts/blob-store.contract.js';
export * from './contracts/message-bus.contract.js';
export * from './fixtures/images.js';
export * from './contracts/content-index.contract.js';
export * from './registry.js';
