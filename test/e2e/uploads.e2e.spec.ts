import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { basicAuthorization, startWharfProcess, type WharfProcess } from '@wharf/testing';
import { eventually, startAllInOne, startMultiProcess, type WharfDeployment } from './wharf-deployments.js';

const UPLOADS = '/pulp/api/v3/uploads/';
const ARTIFACTS = '/pulp/api/v3/artifacts/';
/** S3's smallest part: every chunk but the last must reach it in the multi-process (S3) deployment. */
const PART = 5 * 1024 * 1024;

interface UploadJson {
  pulp_href: string;
  size: number;
  chunks?: { offset: number; size: number }[];
}

interface TaskJson {
  state: string;
  created_resources: string[];
  error: { description: string } | null;
}

interface ArtifactJson {
  pulp_href: string;
  sha256: string;
  size: number;
}

type Api = (path: string, init?: RequestInit) => Promise<Response>;

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(body),
});

async function createUpload(api: Api, size: number): Promise<UploadJson> {
  const response = await api(UPLOADS, json({ size }));
  expect(response.status).toBe(201);
  return (await response.json()) as UploadJson;
}

/** A chunk as a raw body (application/octet-stream). */
function putRaw(api: Api, href: string, file: Buffer, start: number, end: number): Promise<Response> {
  return api(href, {
    method: 'PUT',
    headers: {
      'Content-Type': 'application/octet-stream',
      'Content-Range': `bytes ${start}-${end}/${file.length}`,
    },
    body: file.subarray(start, end + 1),
  });
}

/** A chunk as Pulp's clients send it: the multipart field `file`, with `sha256` to verify it. */
function putForm(api: Api, href: string, file: Buffer, start: number, end: number, digest?: string) {
  const form = new FormData();
  const chunk = file.subarray(start, end + 1);
  form.set('file', new Blob([chunk]), 'chunk');
  form.set('sha256', digest ?? sha256(chunk));
  return api(href, {
    method: 'PUT',
    headers: { 'Content-Range': `bytes ${start}-${end}/${file.length}` },
    body: form,
  });
}

async function commit(api: Api, href: string, digest: string): Promise<TaskJson> {
  const response = await api(`${href}commit/`, json({ sha256: digest }));
  expect(response.status).toBe(202);
  const { task } = (await response.json()) as { task: string };
  return eventually(
    'the commit task to finish',
    async () => {
      const current = (await (await api(task)).json()) as TaskJson;
      return ['completed', 'failed'].includes(current.state) ? current : undefined;
    },
    20_000,
  );
}

describe.each([
  ['all-in-one', startAllInOne],
  ['multi-process', startMultiProcess],
] as const)('uploads and artifacts through the REST API (%s)', (_mode, start) => {
  let wharf: WharfDeployment;
  const api: Api = (path, init) => wharf.api(path, init);

  beforeAll(async () => {
    wharf = await start();
  }, 60_000);

  afterAll(async () => {
    await wharf?.stop();
  });

  it('joins chunks sent out of order, as raw bytes and as a form, into a verified artifact', async () => {
    const file = randomBytes(PART + 1000);
    const upload = await createUpload(api, file.length);
    expect(upload.pulp_href).toMatch(/^\/pulp\/api\/v3\/uploads\/[0-9a-f-]{36}\/$/);

    expect((await putRaw(api, upload.pulp_href, file, PART, file.length - 1)).status).toBe(200);
    expect((await putForm(api, upload.pulp_href, file, 0, PART - 1)).status).toBe(200);
    const detail = (await (await api(upload.pulp_href)).json()) as UploadJson;
    expect(detail.chunks).toEqual([
      { offset: 0, size: PART },
      { offset: PART, size: 1000 },
    ]);

    const task = await commit(api, upload.pulp_href, sha256(file));
    expect(task.state).toBe('completed');
    const artifact = (await (await api(task.created_resources[0]!)).json()) as ArtifactJson;
    expect(artifact).toMatchObject({ sha256: sha256(file), size: file.length });
    const found = (await (await api(`${ARTIFACTS}?sha256=${sha256(file)}`)).json()) as { count: number };
    expect(found.count).toBe(1);
    expect((await api(upload.pulp_href)).status).toBe(404);
  });

  it('answers a bad Content-Range or a chunk failing its sha256 with a 400 naming it', async () => {
    const file = randomBytes(100);
    const upload = await createUpload(api, 100);
    const bad = await api(upload.pulp_href, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': 'bytes=0-99' },
      body: file,
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toBe(
      "The Content-Range header 'bytes=0-99' is not of the form 'bytes <start>-<end>/<size>'.",
    );

    const past = await putRaw(api, upload.pulp_href, Buffer.concat([file, file]), 0, 199);
    expect(past.status).toBe(400);
    expect(JSON.stringify(await past.json())).toMatch(
      /Content-Range.*total 200 is not the upload's size 100/,
    );

    const corrupt = await putForm(api, upload.pulp_href, file, 0, 99, '0'.repeat(64));
    expect(corrupt.status).toBe(400);
    expect(((await corrupt.json()) as { sha256: string[] }).sha256[0]).toContain(sha256(file));
    const detail = (await (await api(upload.pulp_href)).json()) as UploadJson;
    expect(detail.chunks).toEqual([]);
  });

  it('fails a commit whose sha256 does not match, naming the upload and both digests', async () => {
    const file = randomBytes(100);
    const upload = await createUpload(api, 100);
    expect((await putRaw(api, upload.pulp_href, file, 0, 99)).status).toBe(200);
    const wrong = 'a'.repeat(64);

    const task = await commit(api, upload.pulp_href, wrong);
    expect(task.state).toBe('failed');
    expect(task.error?.description).toBe(
      `upload ${upload.pulp_href}: the uploaded bytes have digest sha256:${sha256(file)}, ` +
        `not the expected sha256:${wrong}; the upload is discarded`,
    );
    const found = (await (await api(`${ARTIFACTS}?sha256=${sha256(file)}`)).json()) as { count: number };
    expect(found.count).toBe(0);
  });

  it('takes a file in one request as an artifact', async () => {
    const file = randomBytes(2048);
    const form = new FormData();
    form.set('file', new Blob([file]), 'file.bin');
    form.set('sha256', sha256(file));
    const created = await api(ARTIFACTS, { method: 'POST', body: form });
    expect(created.status).toBe(201);
    const artifact = (await created.json()) as ArtifactJson;
    expect(artifact).toMatchObject({ sha256: sha256(file), size: 2048 });
    expect(((await (await api(artifact.pulp_href)).json()) as ArtifactJson).sha256).toBe(sha256(file));

    const mislabelled = new FormData();
    mislabelled.set('file', new Blob([randomBytes(10)]), 'other.bin');
    mislabelled.set('sha256', sha256(file));
    expect((await api(ARTIFACTS, { method: 'POST', body: mislabelled })).status).toBe(400);
  });
});

describe('uploads across restarts and expiry (all-in-one)', () => {
  const dataDirs: string[] = [];
  const processes: WharfProcess[] = [];

  const startWharf = async (dataDir: string, env: Record<string, string> = {}) => {
    const wharf = await startWharfProcess('wharf', {
      WHARF_DATA_DIR: dataDir,
      WHARF_REGISTRY_PORT: '0',
      ...env,
    });
    processes.push(wharf);
    const api: Api = (path, init = {}) =>
      fetch(`${wharf.url}${path}`, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), Authorization: basicAuthorization() },
      });
    return { wharf, api };
  };

  const newDataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-uploads-'));
    dataDirs.push(dir);
    return dir;
  };

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    dataDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
  });

  it('resumes an interrupted upload after the process restarts', async () => {
    const dataDir = newDataDir();
    const file = randomBytes(4000);
    const first = await startWharf(dataDir);
    const upload = await createUpload(first.api, file.length);
    expect((await putRaw(first.api, upload.pulp_href, file, 2000, 3999)).status).toBe(200);
    expect(await first.wharf.stop()).toBe(0);

    const second = await startWharf(dataDir);
    expect((await putForm(second.api, upload.pulp_href, file, 0, 1999)).status).toBe(200);
    const task = await commit(second.api, upload.pulp_href, sha256(file));
    expect(task.state).toBe('completed');
    const artifact = (await (await second.api(task.created_resources[0]!)).json()) as ArtifactJson;
    expect(artifact.sha256).toBe(sha256(file));
  }, 60_000);

  it('aborts an abandoned upload once it is older than WHARF_UPLOAD_EXPIRY_HOURS', async () => {
    // 0.0003 h is about a second.
    const { api } = await startWharf(newDataDir(), { WHARF_UPLOAD_EXPIRY_HOURS: '0.0003' });
    const upload = await createUpload(api, 100);
    expect((await putRaw(api, upload.pulp_href, randomBytes(100), 0, 99)).status).toBe(200);
    await eventually('the upload to expire', async () =>
      (await api(upload.pulp_href)).status === 404 ? true : undefined,
    );
    const listed = (await (await api(UPLOADS)).json()) as { count: number };
    expect(listed.count).toBe(0);
    const late = await api(`${upload.pulp_href}commit/`, json({ sha256: 'b'.repeat(64) }));
    expect(late.status).toBe(409);
    expect(((await late.json()) as { detail: string }).detail).toMatch(
      /^upload .* was discarded \(expired\)$/,
    );
  }, 60_000);
});
