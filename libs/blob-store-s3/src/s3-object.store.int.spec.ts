import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { text } from 'node:stream/consumers';
import { Client } from 'minio';
import { afterAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from './s3-object.store.js';

const endPoint = process.env.WHARF_TEST_S3_URL;
const bucket = process.env.WHARF_TEST_S3_BUCKET;
if (!endPoint || !bucket) {
  throw new Error('WHARF_TEST_S3_URL and WHARF_TEST_S3_BUCKET are unset; run these tests through vitest');
}
const credentials = { accessKey: 'S3RVER', secretKey: `secret-${randomUUID()}` };
const prefix = `objects-${randomUUID()}`;
const MiB = 1024 * 1024;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const inspector = new Client({
  endPoint: new URL(endPoint).hostname,
  port: Number(new URL(endPoint).port),
  useSSL: false,
  region: 'us-east-1',
  ...credentials,
});

async function keysUnder(under: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const item of inspector.listObjectsV2(bucket as string, under, true)) {
    if (item.name) keys.push(item.name);
  }
  return keys.sort();
}

/** Random bytes in 64 KiB writes, as an export's tar stream arrives. */
function body(bytes: Buffer): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < bytes.length; offset += 64 * 1024)
        yield bytes.subarray(offset, offset + 65536);
    })(),
  );
}

describe('S3ObjectStore (s3rver)', () => {
  const store = new S3ObjectStore(
    { endPoint, bucket, ...credentials, region: 'us-east-1', prefix: `${prefix}/` },
    5 * MiB,
  );
  afterAll(() => store.close());

  it('streams an object larger than a part as a multipart upload, under its prefix, and reads it back', async () => {
    const bytes = randomBytes(11 * MiB + 123);
    await pipeline(body(bytes), store.write('big/archive.tar'));
    expect(await keysUnder(`${prefix}/`)).toEqual([`${prefix}/big/archive.tar`]);
    const stat = await inspector.statObject(bucket, `${prefix}/big/archive.tar`);
    expect(stat.size).toBe(bytes.length);
    const chunks: Buffer[] = [];
    for await (const chunk of (await store.read('big/archive.tar'))!) chunks.push(chunk as Buffer);
    expect(sha256(Buffer.concat(chunks))).toBe(sha256(bytes));
  });

  it('writes a small object in one request, lists and removes by prefix, and reads nothing for a missing key', async () => {
    const sums = store.write('small/SHA256SUMS');
    sums.end('abc  archive.tar.000\n');
    await new Promise((resolve, reject) => sums.on('finish', resolve).on('error', reject));
    expect(await text((await store.read('small/SHA256SUMS'))!)).toBe('abc  archive.tar.000\n');
    const listed = [];
    for await (const item of store.list('small/')) listed.push(item);
    expect(listed).toEqual([{ key: 'small/SHA256SUMS', size: 21 }]);
    await store.removeAll(['small/SHA256SUMS']);
    expect(await store.read('small/SHA256SUMS')).toBeUndefined();
  });

  it('leaves no object when the writer fails half way through a multipart upload', async () => {
    const failing = Readable.from(
      (async function* () {
        yield randomBytes(6 * MiB);
        throw new Error('the source went away');
      })(),
    );
    await expect(pipeline(failing, store.write('broken/archive.tar'))).rejects.toThrow(/went away/);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the abort is sent after the failure surfaces
    expect(await keysUnder(`${prefix}/broken/`)).toEqual([]);
    expect(await store.read('broken/archive.tar')).toBeUndefined();
  });

  it('refuses parts smaller than S3 accepts', () => {
    expect(() => new S3ObjectStore({ endPoint, bucket, ...credentials }, 1024 * 1024)).toThrow(/5 MiB/);
  });
});
