import { describe, expect, it } from 'vitest';
import { clientOptionsFor, endpointOrigin, type S3BlobStoreOptions } from './s3-endpoint.config.js';

const secretKey = 'very-secret-key';

function options(endPoint: string): S3BlobStoreOptions {
  return { endPoint, accessKey: 'AKIAEXAMPLE', secretKey, bucket: 'blobs' };
}

describe('S3 endpoint URLs', () => {
  it('connects to http endpoints without TLS, on the port given', () => {
    expect(clientOptionsFor(options('http://minio:9000'))).toMatchObject({
      endPoint: 'minio',
      port: 9000,
      useSSL: false,
      pathStyle: true,
    });
  });

  it('uses TLS and the default port for https endpoints', () => {
    expect(clientOptionsFor(options('https://s3.eu-central-1.amazonaws.com'))).toMatchObject({
      endPoint: 's3.eu-central-1.amazonaws.com',
      port: 443,
      useSSL: true,
    });
  });

  it('passes the region on only when one is configured', () => {
    expect(clientOptionsFor(options('http://minio:9000'))).not.toHaveProperty('region');
    expect(clientOptionsFor({ ...options('http://minio:9000'), region: 'eu-west-1' })).toMatchObject({
      region: 'eu-west-1',
    });
  });

  it('names only scheme, host and port in messages', () => {
    expect(endpointOrigin('https://s3.example.com:8443/')).toBe('https://s3.example.com:8443');
  });

  it.each([
    ['no URL at all', 'just words', /not a URL/],
    ['no scheme', 'minio:9000', /http or https/],
    ['another scheme', 'ftp://minio:21', /http or https/],
    ['a path', 'http://minio:9000/bucket', /must not have a path/],
    ['credentials', `http://AKIAEXAMPLE:${secretKey}@minio:9000`, /must not carry credentials/],
  ])('rejects an endpoint with %s, without repeating secrets', (_case, endPoint, message) => {
    let error: unknown;
    try {
      clientOptionsFor(options(endPoint));
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain(secretKey);
  });
});
