import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DigestMismatchError, UploadNotFoundError } from '@wharf/ports';
import { blobStoreContract } from '@wharf/testing';
import { FsBlobStore } from './fs-blob-store.adapter.js';

blobStoreContract('fs', async () => {
  const root = await mkdtemp(join(tmpdir(), 'wharf-fs-blobs-'));
  const store = new FsBlobStore({ root });
  return {
    store,
    reopen: async () => new FsBlobStore({ root }),
    cleanup: async () => {
      await store.close();
      await rm(root, { recursive: true, force: true });
    },
  };
});

describe('FsBlobStore on disk', () => {
  let root: string;
  let store: FsBlobStore;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'wharf-fs-blobs-'));
    store = new FsBlobStore({ root });
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('keeps a blob at blobs/sha256/<first two hex digits>/<hex>', async () => {
    const content = randomBytes(1000);
    const hex = createHash('sha256').update(content).digest('hex');

    await store.put(Readable.from([content]));

    expect(await readFile(join(root, 'blobs', 'sha256', hex.slice(0, 2), hex))).toEqual(content);
  });

  it('leaves no staging files behind after puts, a mismatch, a completed and an aborted upload', async () => {
    await store.put(Readable.from([randomBytes(100)]));
    await expect(
      store.put(Readable.from([randomBytes(100)]), `sha256:${'0'.repeat(64)}`),
    ).rejects.toBeInstanceOf(DigestMismatchError);
    const completed = await store.createUpload();
    const part = randomBytes(10);
    await store.putUploadPart(completed.uploadId, 1, Readable.from([part]));
    await store.completeUpload(
      completed.uploadId,
      `sha256:${createHash('sha256').update(part).digest('hex')}`,
    );
    const aborted = await store.createUpload();
    await store.putUploadPart(aborted.uploadId, 1, Readable.from([part]));
    await store.abortUpload(aborted.uploadId);

    expect(await readdir(join(root, 'staging'))).toEqual([]);
    expect(await readdir(join(root, 'uploads'))).toEqual([]);
  });

  it('joins parts sent in order into one blob, and a failed or mismatched completion changes nothing visible', async () => {
    const parts = [randomBytes(3000), randomBytes(2000), randomBytes(1)];
    const whole = Buffer.concat(parts);
    const { uploadId } = await store.createUpload();
    for (const [i, part] of parts.entries())
      await store.putUploadPart(uploadId, i + 1, Readable.from([part]));

    const wrong = `sha256:${'0'.repeat(64)}`;
    await expect(store.completeUpload(uploadId, wrong)).rejects.toBeInstanceOf(DigestMismatchError);
    expect(await store.stat(wrong)).toBeUndefined();
    await expect(store.uploadStatus(uploadId)).rejects.toBeInstanceOf(UploadNotFoundError);

    const again = await store.createUpload();
    for (const [i, part] of parts.entries())
      await store.putUploadPart(again.uploadId, i + 1, Readable.from([part]));
    const info = await store.completeUpload(again.uploadId, digestOf(whole));

    expect(info).toEqual({ digest: digestOf(whole), size: whole.length });
    expect(
      await readFile(join(root, 'blobs', 'sha256', info.digest.slice(7, 9), info.digest.slice(7))),
    ).toEqual(whole);
    expect(await readdir(join(root, 'staging'))).toEqual([]);
  });

  it('joins a part as it is on disk when another store instance replaced it after this one saw it', async () => {
    const first = randomBytes(500);
    const { uploadId } = await store.createUpload();
    await store.putUploadPart(uploadId, 1, Readable.from([first]));
    await store.putUploadPart(uploadId, 2, Readable.from([randomBytes(500)]));
    const replacement = randomBytes(500);

    await new FsBlobStore({ root }).putUploadPart(uploadId, 2, Readable.from([replacement]));

    const whole = Buffer.concat([first, replacement]);
    expect(await store.completeUpload(uploadId)).toEqual({ digest: digestOf(whole), size: whole.length });
  });

  it('after a machine restart, completes an upload begun before it only against an expected digest', async () => {
    const parts = [randomBytes(700), randomBytes(300)];
    const whole = Buffer.concat(parts);
    const begin = async () => {
      const { uploadId } = await store.createUpload();
      for (const [i, part] of parts.entries())
        await store.putUploadPart(uploadId, i + 1, Readable.from([part]));
      // What the session's info says after the machine rebooted: another boot began it.
      const info = join(root, 'uploads', uploadId, 'info.json');
      const recorded = JSON.parse(await readFile(info, 'utf8')) as { bootId?: string };
      expect(recorded.bootId).toMatch(/^[0-9a-f-]{36}$/);
      await writeFile(info, JSON.stringify({ ...recorded, bootId: randomUUID() }));
      return uploadId;
    };
    const withoutDigest = await begin();
    const withDigest = await begin();
    const restarted = new FsBlobStore({ root });

    await expect(restarted.completeUpload(withoutDigest)).rejects.toThrow(
      /began before the machine restarted/,
    );
    await expect(restarted.uploadStatus(withoutDigest)).rejects.toBeInstanceOf(UploadNotFoundError);
    expect(await restarted.completeUpload(withDigest, digestOf(whole))).toEqual({
      digest: digestOf(whole),
      size: whole.length,
    });
  });

  it('offers no presigned URL', async () => {
    const { digest } = await store.put(Readable.from([randomBytes(10)]));

    expect(await store.presignedGetUrl(digest, 60)).toBeUndefined();
  });

  it('creates its root on ping', async () => {
    const nested = new FsBlobStore({ root: join(root, 'not', 'there', 'yet') });

    await nested.ping();

    expect(await readdir(join(root, 'not', 'there'))).toEqual(['yet']);
  });
});

function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}
