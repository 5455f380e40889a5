import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { INestApplication } from '@nestjs/common';
import { BlobStore } from '@wharf/ports';
import { createProcessApplication, loadSettings, Queries } from '@wharf/runtime';
import { TasksModule } from '@wharf/service-tasks';
import {
  UPLOAD_TASKS,
  UPLOAD_WORKER,
  artifactHref,
  uploadHref,
  type ChunkRange,
  type TaskView,
} from '@wharf/contracts';
import { UploadModule } from './upload.module.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('the upload service, through the bus (embedded adapters)', () => {
  let dataDir: string;
  let app: INestApplication | undefined;
  let queries: Queries;
  let blobs: BlobStore;

  const start = async (env: Record<string, string> = {}) => {
    const settings = loadSettings(
      { WHARF_DATA_DIR: dataDir, ...env },
      { bus: 'memory', eventStore: 'sqlite', blobStore: 'fs', httpPortVariable: 'X', httpPort: 0 },
    );
    app = await createProcessApplication('test', settings, [TasksModule, UploadModule], false);
    await app.init();
    queries = app.get(Queries);
    blobs = app.get(BlobStore);
  };

  const stop = async () => {
    await app?.close();
    app = undefined;
  };

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-upload-'));
  });

  afterEach(async () => {
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** What the gateway does with a chunk: ask where it goes, stream it there, record it. */
  const sendChunk = async (uploadId: string, file: Buffer, range: ChunkRange) => {
    const placement = await queries.ask('upload.place-chunk', { uploadId, range, total: file.length });
    await blobs.putUploadPart(
      placement.blobUploadId,
      placement.partNumber,
      Readable.from([file.subarray(range.start, range.end + 1)]),
    );
    return queries.ask('upload.record-chunk', { uploadId, range, partNumber: placement.partNumber });
  };

  const commit = async (uploadId: string, digest: string): Promise<TaskView> => {
    const payload = await queries.ask('upload.validate-commit', { uploadId, sha256: digest });
    const task = await queries.ask('tasks.dispatch', {
      name: UPLOAD_TASKS.commit,
      worker: UPLOAD_WORKER,
      payload,
      exclusiveResources: [uploadHref(uploadId)],
    });
    for (let i = 0; i < 250; i++) {
      const current = await queries.ask('tasks.get', { id: task.id });
      if (['completed', 'failed', 'canceled'].includes(current.state)) return current;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`commit task ${task.id} did not finish`);
  };

  it('joins chunks sent out of order into a verified artifact', async () => {
    await start();
    const file = randomBytes(3000);
    const upload = await queries.ask('upload.create', { size: file.length });
    await sendChunk(upload.id, file, { start: 2000, end: 2999 });
    await sendChunk(upload.id, file, { start: 0, end: 999 });
    const partial = await sendChunk(upload.id, file, { start: 1000, end: 1999 });
    expect(partial.chunks).toEqual([
      { start: 0, end: 999 },
      { start: 1000, end: 1999 },
      { start: 2000, end: 2999 },
    ]);

    const task = await commit(upload.id, sha256(file));
    expect(task.state).toBe('completed');
    const [href] = task.createdResources;
    const artifactId = href!.split('/').at(-2)!;
    expect(href).toBe(artifactHref(artifactId));
    const artifact = await queries.ask('artifact.get', { id: artifactId });
    expect(artifact).toMatchObject({ digest: `sha256:${sha256(file)}`, size: 3000 });
    const stored = await blobs.get(artifact.digest);
    expect(Buffer.concat(await stored.toArray())).toEqual(file);
    await expect(queries.ask('upload.get', { id: upload.id })).rejects.toThrow(/not found/);
  });

  it('refuses to commit an upload with missing bytes, naming them', async () => {
    await start();
    const file = randomBytes(100);
    const upload = await queries.ask('upload.create', { size: 100 });
    await sendChunk(upload.id, file, { start: 0, end: 49 });
    await expect(
      queries.ask('upload.validate-commit', { uploadId: upload.id, sha256: sha256(file) }),
    ).rejects.toThrow(`upload ${upload.id} is incomplete: bytes 50-99 were never received`);
  });

  it('fails the commit on a sha256 mismatch, naming the upload and both digests, and keeps no artifact', async () => {
    await start();
    const file = randomBytes(100);
    const upload = await queries.ask('upload.create', { size: 100 });
    await sendChunk(upload.id, file, { start: 0, end: 99 });
    const wrong = 'f'.repeat(64);

    const task = await commit(upload.id, wrong);
    expect(task.state).toBe('failed');
    expect(task.error?.description).toBe(
      `upload ${uploadHref(upload.id)}: the uploaded bytes have digest sha256:${sha256(file)}, ` +
        `not the expected sha256:${wrong}; the upload is discarded`,
    );
    expect(task.createdResources).toEqual([]);
    expect((await queries.ask('artifact.list', { offset: 0, limit: 10 })).count).toBe(0);
    expect(await blobs.stat(`sha256:${sha256(file)}`)).toBeUndefined();
  });

  it('resumes an upload after a restart', async () => {
    await start();
    const file = randomBytes(500);
    const upload = await queries.ask('upload.create', { size: 500 });
    await sendChunk(upload.id, file, { start: 250, end: 499 });
    await stop();

    await start();
    expect((await queries.ask('upload.get', { id: upload.id })).chunks).toEqual([{ start: 250, end: 499 }]);
    await sendChunk(upload.id, file, { start: 0, end: 249 });
    expect((await commit(upload.id, sha256(file))).state).toBe('completed');
    const listed = await queries.ask('artifact.list', { sha256: sha256(file), offset: 0, limit: 10 });
    expect(listed.results.map((a) => a.size)).toEqual([500]);
  });

  it('aborts uploads older than WHARF_UPLOAD_EXPIRY_HOURS and deletes their parts', async () => {
    // 0.0002 h is 720 ms.
    await start({ WHARF_UPLOAD_EXPIRY_HOURS: '0.0002' });
    const upload = await queries.ask('upload.create', { size: 10 });
    await sendChunk(upload.id, randomBytes(10), { start: 0, end: 9 });
    expect(await blobs.listUploads(new Date(Date.now() + 60_000))).toHaveLength(1);

    await expect
      .poll(async () => (await queries.ask('upload.list', { offset: 0, limit: 10 })).count, { timeout: 5000 })
      .toBe(0);
    await expect(queries.ask('upload.get', { id: upload.id })).rejects.toThrow(/not found/);
    expect(await blobs.listUploads(new Date(Date.now() + 60_000))).toEqual([]);
  });

  it('gives a file uploaded twice the same artifact', async () => {
    await start();
    const file = randomBytes(64);
    const { digest } = await blobs.put(Readable.from([file]));
    const first = await queries.ask('artifact.record', { digest });
    const second = await queries.ask('artifact.record', { digest });
    expect(second.id).toBe(first.id);
    expect((await queries.ask('artifact.list', { offset: 0, limit: 10 })).count).toBe(1);
  });
});
