/*
 * Pieces that several adapters of one port share, kept beside the ports so each adapter needn't carry a copy:
 * the polling subscription of the event stores, and digest, range, upload-id and hashing helpers of the blob
 * stores. Driver-free.
 */
export * from './polling.subscription.js';
export * from './blob-addressing.util.js';
export * from './upload-rules.util.js';
export * from './content.hasher.js';
