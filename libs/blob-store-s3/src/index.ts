export { S3BlobStore } from './s3-blob-store.adapter.js';
export type { S3BlobStoreOptions } from './s3-endpoint.config.js';
export { S3RequestError } from './s3-bucket.client.js';
export { S3ObjectStore } from './s3-object.store.js';
