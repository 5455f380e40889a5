export {
  RegistryClient,
  type PingResult,
  type ManifestHead,
  type FetchedManifest,
  type ListOptions,
  type UploadBlobOptions,
  type UploadedBlob,
} from './registry.client.js';
export type { AuthScheme } from './registry.authenticator.js';
export type {
  RegistryClientOptions,
  RegistryTlsOptions,
  RequestKind,
  RequestObserver,
} from './registry-client.options.js';
export {
  RegistryError,
  RegistryAuthError,
  DigestMismatchError,
  TruncatedContentError,
  ManifestTooLargeError,
  type RegistryOperation,
  type RegistryErrorDetails,
} from './registry.errors.js';
export { VerifiedBlobStream } from './verified-blob.stream.js';
export { remoteRegistryClient } from './remote-registry.factory.js';
