import { describe, expect, it } from 'vitest';
import { loadSettings, type SettingsDefaults } from './settings.js';

const defaults: SettingsDefaults = {
  bus: 'memory',
  eventStore: 'sqlite',
  blobStore: 'fs',
  httpPortVariable: 'WHARF_API_PORT',
  httpPort: 0,
};
const endpoint = {
  WHARF_S3_URL: 'http://minio:9000',
  WHARF_S3_ACCESS_KEY: 'access',
  WHARF_S3_SECRET_KEY: 'secret',
};

describe('WHARF_EXPORT_BUCKET', () => {
  it('is off unless set', () => {
    expect(loadSettings(endpoint, defaults).exportBucket).toBeUndefined();
  });

  it('takes a bucket and an optional prefix, on the WHARF_S3_* endpoint whatever the blob store', () => {
    expect(
      loadSettings({ ...endpoint, WHARF_EXPORT_BUCKET: 'exports/site/b/' }, defaults).exportBucket,
    ).toEqual({
      url: 'http://minio:9000',
      accessKey: 'access',
      secretKey: 'secret',
      bucket: 'exports',
      prefix: 'site/b',
      region: 'us-east-1',
    });
    expect(loadSettings({ ...endpoint, WHARF_EXPORT_BUCKET: 'exports' }, defaults).exportBucket?.prefix).toBe(
      '',
    );
  });

  it('names what is missing or wrong', () => {
    expect(() => loadSettings({ WHARF_EXPORT_BUCKET: 'exports' }, defaults)).toThrow(
      /^WHARF_S3_URL: is required when WHARF_EXPORT_BUCKET is set/,
    );
    expect(() => loadSettings({ ...endpoint, WHARF_EXPORT_BUCKET: 'Not_A_Bucket/x' }, defaults)).toThrow(
      /^WHARF_EXPORT_BUCKET: must be a bucket name/,
    );
  });
});
