import type { ClientOptions } from 'minio';

export interface S3BlobStoreOptions {
  /** Where the S3 API answers, e.g. `https://s3.eu-central-1.amazonaws.com` or `http://minio:9000`. */
  readonly endPoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly bucket: string;
  /** Saves a region lookup per bucket; needed where the server cannot answer that lookup. */
  readonly region?: string;
  /** Key prefix under which this store keeps everything, so several stores can share a bucket. */
  readonly prefix?: string;
}

/**
 * The minio client's connection settings from an endpoint URL. Messages name only scheme, host and port:
 * credentials are passed separately and must never end up in an error or a log line.
 */
export function clientOptionsFor(options: S3BlobStoreOptions): ClientOptions {
  const url = parseEndpoint(options.endPoint);
  const useSSL = url.protocol === 'https:';
  return {
    endPoint: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : useSSL ? 443 : 80,
    useSSL,
    pathStyle: true,
    accessKey: options.accessKey,
    secretKey: options.secretKey,
    ...(options.region ? { region: options.region } : {}),
  };
}

/** Scheme, host and port of the endpoint: what messages may show of it. */
export function endpointOrigin(endPoint: string): string {
  return parseEndpoint(endPoint).origin;
}

function parseEndpoint(endPoint: string): URL {
  let url: URL;
  try {
    url = new URL(endPoint);
  } catch {
    throw new Error('S3 endpoint is not a URL; expected something like http://minio:9000');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`S3 endpoint must use http or https, not ${url.protocol}`);
  }
  if (url.username || url.password) {
    throw new Error('S3 endpoint must not carry credentials; pass accessKey and secretKey instead');
  }
  if (url.pathname !== '/' || url.search || url.hash) {
    throw new Error(`S3 endpoint ${url.origin} must not have a path or query; name the bucket separately`);
  }
  return url;
}
