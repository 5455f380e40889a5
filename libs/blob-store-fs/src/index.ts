export { FsBlobStore, type FsBlobStoreOptions } from './fs-blob-store.adapter.js';
