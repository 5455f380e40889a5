import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { Client } from 'minio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigestMismatchError } from '@wharf/ports';
import { blobStoreContract } from '@wharf/testing';
import { S3BlobStore } from './s3-blob-store.adapter.js';
import type { S3BlobStoreOptions } from './s3-endpoint.config.js';

const endPoint = process.env.WHARF_TEST_S3_URL;
const bucket = process.env.WHARF_TEST_S3_BUCKET;
if (!endPoint || !bucket) {
  throw new Error(
    'WHARF_TEST_S3_URL and WHARF_TEST_S3_BUCKET are unset; run these tests through vitest, whose global setup starts s3rver',
  );
}
// s3rver accepts any key pair; a distinctive secret lets the tests check that it never leaks.
const credentials = { accessKey: 'S3RVER', secretKey: `secret-${randomUUID()}` };
const filePrefix = `test-${randomUUID()}/`;
let storeCount = 0;

function optionsFor(prefix: string): S3BlobStoreOptions {
  return {
    endPoint: endPoint as string,
    bucket: bucket as string,
    ...credentials,
    region: 'us-east-1',
    prefix,
  };
}

/** A plain client, to look at the bucket the way an operator would. */
const inspector = new Client({
  endPoint: new URL(endPoint).hostname,
  port: Number(new URL(endPoint).port),
  useSSL: false,
  region: 'us-east-1',
  ...credentials,
});

/**
 * One key at a time: s3rver deletes the keys of a multi-object delete in parallel and then races itself
 * tidying up the emptied directories (the client's retry recovers, but noisily and slowly).
 */
async function removeAllUnder(prefix: string): Promise<void> {
  for (const key of await keysUnder(prefix)) await inspector.removeObject(bucket as string, key);
}

async function keysUnder(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const item of inspector.listObjectsV2(bucket as string, prefix, true)) {
    if (item.name) keys.push(item.name);
  }
  return keys.sort();
}

blobStoreContract('s3', async () => {
  const prefix = `${filePrefix}${++storeCount}/`;
  const store = new S3BlobStore(optionsFor(prefix));
  return {
    store,
    reopen: async () => new S3BlobStore(optionsFor(prefix)),
    cleanup: async () => {
      await store.close();
      await removeAllUnder(prefix);
    },
  };
});

describe('S3BlobStore in its bucket', () => {
  const prefix = `${filePrefix}own/`;
  const store = new S3BlobStore(optionsFor(prefix));

  afterAll(async () => {
    await store.close();
    await removeAllUnder(prefix);
  });

  beforeAll(async () => {
    await store.ping();
  });

  it('keeps a blob at <prefix>blobs/sha256/<hex> and nothing in staging afterwards', async () => {
    const content = randomBytes(1000);
    const hex = createHash('sha256').update(content).digest('hex');

    await store.put(Readable.from([content]));
    await expect(
      store.put(Readable.from([randomBytes(10)]), `sha256:${'0'.repeat(64)}`),
    ).rejects.toBeInstanceOf(DigestMismatchError);

    expect(await keysUnder(`${prefix}blobs/`)).toContain(`${prefix}blobs/sha256/${hex}`);
    expect(await keysUnder(`${prefix}staging/`)).toEqual([]);
  });

  it('removes every trace of a completed and of an aborted upload', async () => {
    const part = randomBytes(100);
    const completed = await store.createUpload();
    await store.putUploadPart(completed.uploadId, 1, Readable.from([part]));
    await store.completeUpload(
      completed.uploadId,
      `sha256:${createHash('sha256').update(part).digest('hex')}`,
    );
    const aborted = await store.createUpload();
    await store.putUploadPart(aborted.uploadId, 1, Readable.from([part]));
    await store.abortUpload(aborted.uploadId);

    expect(await keysUnder(`${prefix}uploads/`)).toEqual([]);
    expect(await keysUnder(`${prefix}staging/`)).toEqual([]);
  });

  it('presigns GET URLs', async () => {
    const { digest } = await store.put(Readable.from([randomBytes(10)]));

    const url = await store.presignedGetUrl(digest, 60);

    expect(url).toMatch(
      new RegExp(`^${endPoint}/${bucket}/${prefix}blobs/sha256/[0-9a-f]{64}\\?.*X-Amz-Expires=60`),
    );
  });

  it('says which bucket is missing, without the credentials', async () => {
    const lost = new S3BlobStore({ ...optionsFor(prefix), bucket: 'no-such-bucket' });
    try {
      const error = await lost.ping().then(
        () => undefined,
        (e: unknown) => e,
      );

      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toContain('no-such-bucket');
      expect(String((error as Error).stack) + JSON.stringify(error)).not.toContain(credentials.secretKey);
    } finally {
      await lost.close();
    }
  });
});
