import { RegistryClient } from './registry.client.js';
import type { RemoteCredentials, RemoteSettings } from '@wharf/contracts';

/**
 * A RegistryClient for a remote, with every download setting the remote carries: for the sync service's
 * downloads and the registry's on_demand fetches alike, so both reach the upstream the same way.
 */
export function remoteRegistryClient(remote: RemoteSettings, credentials: RemoteCredentials): RegistryClient {
  return new RegistryClient({
    url: remote.url,
    ...(credentials.username !== null && {
      username: credentials.username,
      password: credentials.password ?? '',
    }),
    tls: { ca: remote.caCert ?? undefined, rejectUnauthorized: remote.tlsValidation },
    proxyUrl: remote.proxyUrl === null ? undefined : proxyUrlWithCredentials(remote.proxyUrl, credentials),
    concurrency: remote.downloadConcurrency ?? undefined,
    rateLimitPerSecond: remote.rateLimit ?? undefined,
    maxRetries: remote.maxRetries ?? undefined,
    headers: Object.assign({}, ...remote.headers) as Record<string, string>,
  });
}

/** The proxy agent takes its Basic credentials from the proxy URL's user info. */
function proxyUrlWithCredentials(proxyUrl: string, credentials: RemoteCredentials): string {
  if (credentials.proxyUsername === null) return proxyUrl;
  const url = new URL(proxyUrl);
  url.username = credentials.proxyUsername;
  url.password = credentials.proxyPassword ?? '';
  return url.toString();
}
