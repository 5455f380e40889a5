import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { BlobStore } from '@wharf/ports';
import { createProcessApplication, loadSettings } from '@wharf/runtime';
import { ContentModule } from '@wharf/service-content';
import { TasksModule } from '@wharf/service-tasks';
import { sha256Of } from '@wharf/testing';
import { DistributionModule } from './distribution.module.js';
import { RegistryServer } from './registry/registry.server.js';

const ADMIN_PASSWORD = randomBytes(12).toString('hex');
const BASIC = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
const MiB = 1024 * 1024;

/**
 * Blob uploads of the registry push API on the S3 blob store (the test run's s3rver), where every multipart
 * part but the last must be at least 5 MiB: the registry cuts long bodies into parts and tells clients the
 * least chunk it takes.
 */
describe('registry blob uploads on an S3 blob store', () => {
  let dataDir: string;
  let app: INestApplication;
  let registry: string;

  const call = (path: string, init: RequestInit = {}) =>
    fetch(new URL(path, registry), {
      ...init,
      headers: { Authorization: BASIC, ...(init.headers as Record<string, string>) },
    });
  const start = async () => {
    const started = await call('/v2/s3/app/blobs/uploads/', { method: 'POST' });
    expect(started.status).toBe(202);
    return started;
  };

  beforeAll(async () => {
    const url = process.env.WHARF_TEST_S3_URL;
    const bucket = process.env.WHARF_TEST_S3_BUCKET;
    if (!url || !bucket) throw new Error('WHARF_TEST_S3_URL is unset: run the tests through vitest');
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-push-s3-'));
    const settings = loadSettings(
      {
        WHARF_DATA_DIR: dataDir,
        WHARF_REGISTRY_PORT: '0',
        WHARF_ADMIN_PASSWORD: ADMIN_PASSWORD,
        WHARF_BLOB_STORE: 's3',
        WHARF_S3_URL: url,
        WHARF_S3_BUCKET: bucket,
        WHARF_S3_ACCESS_KEY: 'S3RVER',
        WHARF_S3_SECRET_KEY: 'S3RVER',
      },
      { bus: 'memory', eventStore: 'sqlite', blobStore: 'fs', httpPortVariable: 'X', httpPort: 0 },
    );
    app = await createProcessApplication(
      'test',
      settings,
      [TasksModule, ContentModule, DistributionModule],
      false,
    );
    await app.init();
    registry = `http://127.0.0.1:${app.get(RegistryServer).port}`;
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('tells clients the least chunk it takes', async () => {
    expect((await start()).headers.get('oci-chunk-min-length')).toBe(String(5 * MiB));
  });

  it('stores a streamed body longer than a part as several parts, and the finished blob verifies', async () => {
    const bytes = randomBytes(17 * MiB + 123);
    const location = (await start()).headers.get('location')!;
    const patched = await call(location, { method: 'PATCH', body: bytes });
    expect(patched.status).toBe(202);
    expect(patched.headers.get('range')).toBe(`0-${bytes.byteLength - 1}`);
    const uploadId = location.split('/').at(-1)!;
    const status = await app.get(BlobStore, { strict: false }).uploadStatus(uploadId);
    expect(status.parts.map((p) => p.size)).toEqual([16 * MiB, MiB + 123]);
    const digest = sha256Of(bytes);
    const finished = await call(`${location}?digest=${digest}`, { method: 'PUT' });
    expect(finished.status).toBe(201);
    expect((await app.get(BlobStore, { strict: false }).stat(digest))?.size).toBe(bytes.byteLength);
  });

  it('takes no chunk after one shorter than the minimum (it had to be the last), but still finishes', async () => {
    const bytes = randomBytes(6 * MiB);
    const location = (await start()).headers.get('location')!;
    const first = await call(location, {
      method: 'PATCH',
      body: bytes.subarray(0, 5 * MiB),
      headers: { 'Content-Range': `0-${5 * MiB - 1}` },
    });
    expect(first.status).toBe(202);
    const short = await call(location, {
      method: 'PATCH',
      body: bytes.subarray(5 * MiB, 5 * MiB + 100),
      headers: { 'Content-Range': `${5 * MiB}-${5 * MiB + 99}` },
    });
    expect(short.status).toBe(202);
    const after = await call(location, {
      method: 'PATCH',
      body: bytes.subarray(5 * MiB + 100),
      headers: { 'Content-Range': `${5 * MiB + 100}-${6 * MiB - 1}` },
    });
    expect(after.status).toBe(416);
    expect(after.headers.get('range')).toBe(`0-${5 * MiB + 99}`);
    const head = bytes.subarray(0, 5 * MiB + 100);
    const finished = await call(`${location}?digest=${sha256Of(head)}`, { method: 'PUT' });
    expect(finished.status).toBe(201);
  });
});
