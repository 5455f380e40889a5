import { describe, expect, it } from 'vitest';
import { loadSettings, type SettingsDefaults } from './settings.js';

const defaults: SettingsDefaults = {
  bus: 'memory',
  eventStore: 'sqlite',
  blobStore: 'fs',
  httpPortVariable: 'WHARF_HTTP_PORT',
  httpPort: 0,
};
const s3 = {
  WHARF_BLOB_STORE: 's3',
  WHARF_S3_URL: 'http://127.0.0.1:9000',
  WHARF_S3_ACCESS_KEY: 'access',
  WHARF_S3_SECRET_KEY: 'secret',
  WHARF_S3_BUCKET: 'blobs',
};

describe('WHARF_S3_REDIRECT', () => {
  it('streams blobs unless set to true', () => {
    expect(loadSettings(s3, defaults).s3?.redirect).toBe(false);
    expect(loadSettings({ ...s3, WHARF_S3_REDIRECT: 'false' }, defaults).s3?.redirect).toBe(false);
    expect(loadSettings({ ...s3, WHARF_S3_REDIRECT: 'true' }, defaults).s3?.redirect).toBe(true);
  });

  it('refuses a value other than true or false, naming the variable', () => {
    expect(() => loadSettings({ ...s3, WHARF_S3_REDIRECT: 'yes' }, defaults)).toThrow(
      /^WHARF_S3_REDIRECT: must be one of true, false, got 'yes'/,
    );
  });

  it('refuses to redirect from a filesystem blob store, which has no URLs to redirect to', () => {
    expect(() => loadSettings({ WHARF_S3_REDIRECT: 'true' }, defaults)).toThrow(
      /^WHARF_S3_REDIRECT: applies only with WHARF_BLOB_STORE=s3/,
    );
    expect(loadSettings({ WHARF_S3_REDIRECT: 'false' }, defaults).s3).toBeUndefined();
  });
});
