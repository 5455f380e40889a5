import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BlobNotFoundError,
  DigestMismatchError,
  RangeNotSatisfiableError,
  UploadNotFoundError,
  type BlobInfo,
  type BlobStore,
} from '@wharf/ports';

export interface OpenedBlobStore {
  /** An empty store, opened for one test. */
  readonly store: BlobStore;
  /** A fresh adapter instance over the same storage, as after a process restart. The suite closes it. */
  readonly reopen: () => Promise<BlobStore>;
  /** Closes the store and removes its storage. */
  readonly cleanup: () => Promise<void>;
}

const MiB = 1024 * 1024;
const EMPTY_DIGEST = 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * The behaviour every BlobStore adapter must show (libs/ports/src/blob-store.port.ts). `open` is called once
 * per test and must return an empty store. Multipart tests keep every part but the last at
 * `store.minPartSize` or more, as the port requires.
 */
export function blobStoreContract(adapterName: string, open: () => Promise<OpenedBlobStore>): void {
  describe(`BlobStore contract: ${adapterName}`, () => {
    let opened: OpenedBlobStore;
    let store: BlobStore;

    beforeEach(async () => {
      opened = await open();
      store = opened.store;
    });

    afterEach(async () => {
      await opened.cleanup();
    });

    /** A part that other parts may follow: at least `minPartSize`, and never trivially small. */
    function fullPart(): Buffer {
      return randomBytes(Math.max(store.minPartSize, 64 * 1024));
    }

    describe('put', () => {
      it('stores a stream of unknown length and names it by its sha256', async () => {
        const content = randomBytes(300_000);

        const info = await store.put(chunksOf(content, 7_919));

        expect(info).toEqual({ digest: digestOf(content), size: content.length });
        expectBytes(await readAll(await store.get(info.digest)), content);
        expect(await store.stat(info.digest)).toEqual(info);
      });

      it('accepts a Readable with the digest the caller expects', async () => {
        const content = randomBytes(50_000);

        const info = await store.put(Readable.from([content]), digestOf(content));

        expect(info).toEqual({ digest: digestOf(content), size: content.length });
        expectBytes(await readAll(await store.get(info.digest)), content);
      });

      it('stores the empty blob', async () => {
        const info = await store.put(chunksOf(Buffer.alloc(0), 1), EMPTY_DIGEST);

        expect(info).toEqual({ digest: EMPTY_DIGEST, size: 0 });
        expectBytes(await readAll(await store.get(EMPTY_DIGEST)), Buffer.alloc(0));
      });

      it('rejects bytes that do not match the expected digest and keeps nothing of them', async () => {
        const content = randomBytes(100_000);
        const claimed = digestOf(randomBytes(16));

        const error = await store.put(chunksOf(content, 4096), claimed).catch((e: unknown) => e);

        expect(error).toBeInstanceOf(DigestMismatchError);
        expect(error).toMatchObject({ expected: claimed, actual: digestOf(content) });
        expect(await store.stat(claimed)).toBeUndefined();
        expect(await store.stat(digestOf(content))).toBeUndefined();
        await expect(store.get(digestOf(content))).rejects.toBeInstanceOf(BlobNotFoundError);
        expect(await collect(store.list())).toEqual([]);
      });

      it('stores the same content twice without a second copy', async () => {
        const content = randomBytes(20_000);

        const first = await store.put(chunksOf(content, 1000));
        const second = await store.put(chunksOf(content, 3000), digestOf(content));

        expect(second).toEqual(first);
        expect(await collect(store.list())).toEqual([first]);
        expectBytes(await readAll(await store.get(first.digest)), content);
      });

      it('lets two concurrent puts of the same content both succeed', async () => {
        const content = randomBytes(400_000);

        const results = await Promise.all([
          store.put(chunksOf(content, 16_384), digestOf(content)),
          store.put(chunksOf(content, 10_000)),
        ]);

        expect(results).toEqual([
          { digest: digestOf(content), size: content.length },
          { digest: digestOf(content), size: content.length },
        ]);
        expect(await collect(store.list())).toEqual([results[0]]);
        expectBytes(await readAll(await store.get(digestOf(content))), content);
      });

      it('streams a 20 MiB blob through', async () => {
        const size = 20 * MiB;
        const body = largeBody(size, 64 * 1024);
        const expected = await digestOfStream(body());

        const info = await store.put(body(), expected);

        expect(info).toEqual({ digest: expected, size });
        expect(await digestOfStream(await store.get(info.digest))).toBe(info.digest);
      });
    });

    describe('get', () => {
      const content = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));

      it('reads inclusive byte ranges: the first byte, the middle and the last byte', async () => {
        const { digest } = await store.put(chunksOf(content, 333));

        expectBytes(await readAll(await store.get(digest, { start: 0, end: 0 })), content.subarray(0, 1));
        expectBytes(
          await readAll(await store.get(digest, { start: 100, end: 599 })),
          content.subarray(100, 600),
        );
        expectBytes(await readAll(await store.get(digest, { start: 999, end: 999 })), content.subarray(999));
        expectBytes(await readAll(await store.get(digest, { start: 0, end: 999 })), content);
      });

      it('refuses ranges that name bytes the blob does not have', async () => {
        const { digest } = await store.put(chunksOf(content, 333));

        for (const range of [
          { start: 1000, end: 1000 },
          { start: 990, end: 1000 },
          { start: 5, end: 4 },
        ]) {
          const error = await store.get(digest, range).catch((e: unknown) => e);
          expect(error, JSON.stringify(range)).toBeInstanceOf(RangeNotSatisfiableError);
          expect(error).toMatchObject({ range, size: 1000 });
        }
      });

      it('reports a missing blob as BlobNotFoundError, whole or ranged', async () => {
        const missing = digestOf(randomBytes(8));

        await expect(store.get(missing)).rejects.toBeInstanceOf(BlobNotFoundError);
        await expect(store.get(missing, { start: 0, end: 0 })).rejects.toMatchObject({
          name: 'BlobNotFoundError',
          digest: missing,
        });
      });

      it('treats digests that are not sha256 hex as missing, never as paths', async () => {
        const stored = await store.put(chunksOf(randomBytes(100), 10));
        const hex = stored.digest.slice('sha256:'.length);

        for (const odd of [
          'sha256:../../../etc/passwd',
          `sha512:${hex}`,
          `SHA256:${hex}`,
          `sha256:${hex}/`,
        ]) {
          expect(await store.stat(odd), odd).toBeUndefined();
          await expect(store.get(odd), odd).rejects.toBeInstanceOf(BlobNotFoundError);
          await store.delete(odd);
        }
        expect(await store.stat(stored.digest)).toEqual(stored);
      });
    });

    describe('stat, delete and list', () => {
      it('stats a missing blob as undefined', async () => {
        expect(await store.stat(digestOf(randomBytes(8)))).toBeUndefined();
      });

      it('deletes a blob, and deleting a missing one is fine', async () => {
        const kept = await store.put(chunksOf(randomBytes(500), 100));
        const dropped = await store.put(chunksOf(randomBytes(700), 100));

        await store.delete(dropped.digest);
        await store.delete(dropped.digest);

        expect(await store.stat(dropped.digest)).toBeUndefined();
        await expect(store.get(dropped.digest)).rejects.toBeInstanceOf(BlobNotFoundError);
        expect(await collect(store.list())).toEqual([kept]);
      });

      it('lists every stored digest with its size', async () => {
        const stored: BlobInfo[] = [];
        for (const size of [0, 1, 2048, 70_000])
          stored.push(await store.put(chunksOf(randomBytes(size), 1024)));

        expect(sortByDigest(await collect(store.list()))).toEqual(sortByDigest(stored));
      });
    });

    describe('presignedGetUrl', () => {
      it('gives a URL that serves the bytes without credentials, or undefined where it cannot', async () => {
        const content = randomBytes(3000);
        const { digest } = await store.put(chunksOf(content, 1000));

        const url = await store.presignedGetUrl(digest, 60);

        if (url !== undefined) {
          const response = await fetch(url);
          expect(response.status).toBe(200);
          expectBytes(Buffer.from(await response.arrayBuffer()), content);
        }
      });
    });

    describe('multipart uploads', () => {
      it('starts an empty session', async () => {
        const before = Date.now();

        const status = await store.createUpload();

        expect(status.parts).toEqual([]);
        expect(status.size).toBe(0);
        expect(status.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
        expect(status.createdAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
        expect(await store.uploadStatus(status.uploadId)).toEqual(status);
      });

      it('joins parts sent out of order in part-number order', async () => {
        const parts = [fullPart(), fullPart(), randomBytes(1234)];
        const whole = Buffer.concat(parts);
        const { uploadId } = await store.createUpload();

        expect(await store.putUploadPart(uploadId, 3, chunksOf(parts[2], 500))).toEqual({
          partNumber: 3,
          size: parts[2].length,
        });
        await store.putUploadPart(uploadId, 1, chunksOf(parts[0], 65_536));
        await store.putUploadPart(uploadId, 2, Readable.from([parts[1]]));

        const status = await store.uploadStatus(uploadId);
        expect(status.parts).toEqual(parts.map((part, i) => ({ partNumber: i + 1, size: part.length })));
        expect(status.size).toBe(whole.length);

        const info = await store.completeUpload(uploadId, digestOf(whole));

        expect(info).toEqual({ digest: digestOf(whole), size: whole.length });
        expectBytes(await readAll(await store.get(info.digest)), whole);
        await expect(store.uploadStatus(uploadId)).rejects.toBeInstanceOf(UploadNotFoundError);
      });

      it('replaces a part that is sent again', async () => {
        const first = fullPart();
        const tail = randomBytes(100);
        const { uploadId } = await store.createUpload();
        await store.putUploadPart(uploadId, 1, chunksOf(randomBytes(10), 10));
        await store.putUploadPart(uploadId, 2, chunksOf(tail, 10));

        await store.putUploadPart(uploadId, 1, chunksOf(first, 65_536));

        expect((await store.uploadStatus(uploadId)).parts).toEqual([
          { partNumber: 1, size: first.length },
          { partNumber: 2, size: tail.length },
        ]);
        const whole = Buffer.concat([first, tail]);
        await store.completeUpload(uploadId, digestOf(whole));
        expectBytes(await readAll(await store.get(digestOf(whole))), whole);
      });

      it('keeps a session across a restart', async () => {
        const parts = [fullPart(), randomBytes(999)];
        const whole = Buffer.concat(parts);
        const created = await store.createUpload();
        await store.putUploadPart(created.uploadId, 1, chunksOf(parts[0], 65_536));

        const restarted = await opened.reopen();
        try {
          const status = await restarted.uploadStatus(created.uploadId);
          expect(status).toEqual({
            ...created,
            parts: [{ partNumber: 1, size: parts[0].length }],
            size: parts[0].length,
          });

          await restarted.putUploadPart(created.uploadId, 2, chunksOf(parts[1], 100));
          const info = await restarted.completeUpload(created.uploadId, digestOf(whole));

          expect(info).toEqual({ digest: digestOf(whole), size: whole.length });
          expectBytes(await readAll(await restarted.get(info.digest)), whole);
          expect(await store.stat(info.digest)).toEqual(info);
        } finally {
          await restarted.close();
        }
      });

      it('takes a 20 MiB part', async () => {
        const size = 20 * MiB;
        const body = largeBody(size, 100_000);
        const expected = await digestOfStream(body());
        const { uploadId } = await store.createUpload();

        expect(await store.putUploadPart(uploadId, 1, body())).toEqual({
          partNumber: 1,
          size,
        });
        const info = await store.completeUpload(uploadId, expected);

        expect(info).toEqual({ digest: expected, size });
        expect(await digestOfStream(await store.get(expected))).toBe(expected);
      });

      it('completes a session without an expected digest under the digest of its bytes', async () => {
        const parts = [fullPart(), randomBytes(77)];
        const whole = Buffer.concat(parts);
        const { uploadId } = await store.createUpload();
        await store.putUploadPart(uploadId, 2, chunksOf(parts[1]!, 10));
        await store.putUploadPart(uploadId, 1, chunksOf(parts[0]!, 65_536));

        expect(await store.completeUpload(uploadId)).toEqual({ digest: digestOf(whole), size: whole.length });
        expectBytes(await readAll(await store.get(digestOf(whole))), whole);
        await expect(store.uploadStatus(uploadId)).rejects.toBeInstanceOf(UploadNotFoundError);
      });

      it('completes a session without parts as the empty blob', async () => {
        const { uploadId } = await store.createUpload();

        expect(await store.completeUpload(uploadId, EMPTY_DIGEST)).toEqual({ digest: EMPTY_DIGEST, size: 0 });
        expect(await store.stat(EMPTY_DIGEST)).toEqual({ digest: EMPTY_DIGEST, size: 0 });
      });

      it('refuses to complete with the wrong digest, and then nothing is visible and the session is gone', async () => {
        const parts = [fullPart(), randomBytes(10)];
        const whole = Buffer.concat(parts);
        const claimed = digestOf(randomBytes(16));
        const { uploadId } = await store.createUpload();
        await store.putUploadPart(uploadId, 1, chunksOf(parts[0], 65_536));
        await store.putUploadPart(uploadId, 2, chunksOf(parts[1], 5));

        const error = await store.completeUpload(uploadId, claimed).catch((e: unknown) => e);

        expect(error).toBeInstanceOf(DigestMismatchError);
        expect(error).toMatchObject({ expected: claimed, actual: digestOf(whole) });
        expect(await store.stat(digestOf(whole))).toBeUndefined();
        expect(await store.stat(claimed)).toBeUndefined();
        expect(await collect(store.list())).toEqual([]);
        await expect(store.uploadStatus(uploadId)).rejects.toBeInstanceOf(UploadNotFoundError);
      });

      it('aborts a session: its parts are gone and it cannot be used again', async () => {
        const { uploadId } = await store.createUpload();
        await store.putUploadPart(uploadId, 1, chunksOf(randomBytes(100), 10));

        await store.abortUpload(uploadId);
        await store.abortUpload(uploadId);

        await expect(store.uploadStatus(uploadId)).rejects.toBeInstanceOf(UploadNotFoundError);
        await expect(store.putUploadPart(uploadId, 2, chunksOf(randomBytes(10), 10))).rejects.toBeInstanceOf(
          UploadNotFoundError,
        );
        await expect(store.completeUpload(uploadId, EMPTY_DIGEST)).rejects.toBeInstanceOf(
          UploadNotFoundError,
        );
        expect(await store.listUploads(new Date(Date.now() + 60_000))).toEqual([]);
        expect(await collect(store.list())).toEqual([]);
      });

      it('reports unknown sessions as UploadNotFoundError', async () => {
        for (const uploadId of [randomUUID(), '../uploads', 'not-an-upload']) {
          await expect(store.uploadStatus(uploadId), uploadId).rejects.toMatchObject({
            name: 'UploadNotFoundError',
            uploadId,
          });
          await expect(
            store.putUploadPart(uploadId, 1, chunksOf(randomBytes(10), 10)),
          ).rejects.toBeInstanceOf(UploadNotFoundError);
          await expect(store.completeUpload(uploadId, EMPTY_DIGEST)).rejects.toBeInstanceOf(
            UploadNotFoundError,
          );
        }
      });

      it('refuses part numbers outside 1..10000', async () => {
        const { uploadId } = await store.createUpload();

        for (const partNumber of [0, 10_001, 1.5]) {
          await expect(
            store.putUploadPart(uploadId, partNumber, chunksOf(randomBytes(10), 10)),
          ).rejects.toThrow(String(partNumber));
        }
        expect((await store.uploadStatus(uploadId)).parts).toEqual([]);
      });

      it('lists the sessions started before a given time', async () => {
        const older = await store.createUpload();
        await store.putUploadPart(older.uploadId, 1, chunksOf(randomBytes(300), 100));
        await sleep(20);
        const cutoff = new Date();
        await sleep(20);
        const newer = await store.createUpload();

        const stale = await store.listUploads(cutoff);

        expect(stale).toEqual([{ ...older, parts: [{ partNumber: 1, size: 300 }], size: 300 }]);
        const all = await store.listUploads(new Date(Date.now() + 60_000));
        expect(all.map((u) => u.uploadId).sort()).toEqual([older.uploadId, newer.uploadId].sort());
        expect(await store.listUploads(older.createdAt)).toEqual([]);
      });
    });

    it('answers ping while open', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}

/** Compares by size and digest: as strict as comparing bytes, much faster on large buffers, clear on failure. */
function expectBytes(actual: Buffer, expected: Buffer): void {
  expect({ size: actual.length, digest: digestOf(actual) }).toEqual({
    size: expected.length,
    digest: digestOf(expected),
  });
}

function digestOf(content: Uint8Array): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

async function digestOfStream(body: AsyncIterable<Uint8Array>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of body) hash.update(chunk);
  return `sha256:${hash.digest('hex')}`;
}

/** The body of an upload of unknown length, as a client would stream it. */
async function* chunksOf(content: Buffer, chunkSize: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < content.length; offset += chunkSize) {
    yield content.subarray(offset, offset + chunkSize);
  }
}

/**
 * A large body that can be streamed any number of times with the same bytes, made on the fly so that it
 * never sits in memory whole. Chunks differ from each other, so misordered or repeated chunks show.
 */
function largeBody(size: number, chunkSize: number): () => AsyncGenerator<Uint8Array> {
  const seed = randomBytes(chunkSize + 251);
  return async function* () {
    for (let offset = 0, round = 0; offset < size; offset += chunkSize, round++) {
      const shift = round % 251;
      yield seed.subarray(shift, shift + Math.min(chunkSize, size - offset));
    }
  };
}

async function readAll(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

function sortByDigest(infos: BlobInfo[]): BlobInfo[] {
  return [...infos].sort((a, b) => a.digest.localeCompare(b.digest));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
