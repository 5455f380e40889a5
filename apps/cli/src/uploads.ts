import { createHash } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { ApiClient, AsyncOperation, Json } from './api-client.js';
import { hrefOf, type Context } from './context.js';
import { EXIT_INTERRUPTED, UsageError } from './errors.js';
import { formatBytes, formatDuration } from './output.js';
import { ProgressBar, bar } from './progress.js';
import { finishOperation, waitForTask } from './tasks.js';

const UPLOADS = 'uploads/';
/** Above S3's 5 MiB minimum part size, which every chunk but the last must reach on an S3 blob store. */
export const DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024;

/** What becomes of the uploaded bytes once they are all on the server. */
export type UploadPurpose =
  | { kind: 'artifact' }
  | { kind: 'blob'; repository?: string }
  | { kind: 'manifest'; repository?: string; tag?: string }
  | { kind: 'import-tarball'; repository: string };

/**
 * What the CLI remembers of an upload it started (under ~/.cache/wharf/uploads/), so `wharf upload resume`
 * cuts the file along the same chunk boundaries and finishes with the same purpose. The server's list of
 * received ranges decides which chunks are sent again.
 */
interface UploadState {
  upload: string;
  file: string;
  size: number;
  chunk_size: number;
  purpose: UploadPurpose;
}

export function cacheDirectory(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'wharf', 'uploads');
}

const uploadId = (href: string) => href.replace(/\/+$/, '').split('/').pop()!;
const statePath = (href: string) => join(cacheDirectory(), `${uploadId(href)}.json`);

function saveState(state: UploadState): void {
  const path = statePath(state.upload);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(state, null, 2) + '\n');
}

function loadState(href: string): UploadState | undefined {
  const path = statePath(href);
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as UploadState) : undefined;
}

function fileSize(file: string): number {
  let stats;
  try {
    stats = statSync(file);
  } catch {
    throw new UsageError(`Cannot read ${file}: no such file`);
  }
  if (!stats.isFile()) throw new UsageError(`${file} is not a file`);
  if (stats.size === 0) throw new UsageError(`${file} is empty; an upload needs at least one byte`);
  return stats.size;
}

/** Starts a chunked upload of `file`, sends it and finishes it as `purpose`. */
export async function uploadFile(
  context: Context,
  file: string,
  purpose: UploadPurpose,
  options: { chunkSize?: number; wait: boolean },
): Promise<void> {
  const path = resolve(file);
  const size = fileSize(path);
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  const created = await context.client.post(UPLOADS, { size });
  const state: UploadState = {
    upload: created.pulp_href as string,
    file: path,
    size,
    chunk_size: chunkSize,
    purpose,
  };
  saveState(state);
  await sendAndFinish(context, state, options.wait);
}

/** Sends the chunks an interrupted upload is missing, then finishes it as first asked. */
export async function resumeUpload(
  context: Context,
  href: string,
  file: string,
  options: { chunkSize?: number; wait: boolean },
): Promise<void> {
  const path = resolve(file);
  const size = fileSize(path);
  const upload = await context.client.get(href);
  if (upload.size !== size) {
    throw new UsageError(`${path} has ${size} bytes but upload ${href} expects ${upload.size as number}`);
  }
  const remembered = loadState(href);
  const received = chunksOf(upload);
  // Chunks must fall on the grid the upload started with; the largest received chunk shows it too.
  const chunkSize =
    options.chunkSize ??
    remembered?.chunk_size ??
    (received.length ? Math.max(...received.map((c) => c.size)) : DEFAULT_CHUNK_SIZE);
  const state: UploadState = {
    upload: href,
    file: path,
    size,
    chunk_size: chunkSize,
    purpose: remembered?.purpose ?? { kind: 'artifact' },
  };
  saveState(state);
  await sendAndFinish(context, state, options.wait);
}

function chunksOf(upload: Json): { offset: number; size: number }[] {
  return (upload.chunks as { offset: number; size: number }[] | undefined) ?? [];
}

async function sendAndFinish(context: Context, state: UploadState, wait: boolean): Promise<void> {
  const { client, output } = context;
  const started = Date.now();
  const progress = new ProgressBar(process.stderr, !output.json && Boolean(process.stderr.isTTY));
  const sent = await sendChunks(client, state, progress, (line) => output.note(line));
  if (state.purpose.kind === 'import-tarball') {
    const repository = await hrefOf(client, 'repository', state.purpose.repository);
    const operation = await client.post<AsyncOperation>(`${repository}import_tarball/`, {
      upload: state.upload,
    });
    rmSync(statePath(state.upload), { force: true });
    await finishOperation(client, output, operation, { wait, label: 'Import' });
    return;
  }
  // Read again rather than hashed while sending: a resumed upload sends only some of the bytes.
  const sha256 = await sha256Of(state.file);
  const commit = await client.post<AsyncOperation>(`${state.upload}commit/`, { sha256 });
  rmSync(statePath(state.upload), { force: true });
  if (!wait) {
    output.message(`Uploaded ${formatBytes(state.size)}; committing in ${commit.task}`, commit);
    return;
  }
  const committed = await waitForTask(client, commit.task, progress);
  const artifact = committed.created_resources.find((href) => href.includes('/artifacts/'));
  const result: Json = { upload: state.upload, sha256, size: state.size, artifact, bytes_sent: sent };
  if (state.purpose.kind !== 'artifact' && artifact) {
    const body: Json = { artifact };
    if (state.purpose.repository)
      body.repository = await hrefOf(client, 'repository', state.purpose.repository);
    if (state.purpose.kind === 'manifest' && state.purpose.tag) body.tag = state.purpose.tag;
    const operation = await client.post<AsyncOperation>(`content/container/${state.purpose.kind}s/`, body);
    const task = await waitForTask(client, operation.task, progress);
    result.created_resources = task.created_resources;
  }
  if (output.json) return output.printJson(result);
  const created = (result.created_resources as string[] | undefined) ?? [];
  output.line(
    `Upload completed in ${formatDuration(Date.now() - started)}: ${formatBytes(state.size)}, sha256 ${sha256}, ` +
      `artifact ${artifact ?? '-'}${created.length ? `; created ${created.join(', ')}` : ''}`,
  );
}

/**
 * Sends every chunk the server has not received, one at a time, reading one chunk into memory at a time.
 * Ctrl-C stops at once and prints how to resume; the chunk in flight is incomplete and the server drops it.
 */
async function sendChunks(
  client: ApiClient,
  state: UploadState,
  progress: ProgressBar,
  note: (line: string) => void,
): Promise<number> {
  const upload = await client.get(state.upload);
  const received = new Set(
    chunksOf(upload)
      .filter((c) => c.size === Math.min(state.chunk_size, state.size - c.offset))
      .map((c) => c.offset),
  );
  let done = [...received].reduce((sum, offset) => sum + Math.min(state.chunk_size, state.size - offset), 0);
  let sent = 0;
  const draw = () =>
    progress.update(`${bar(done, state.size)} Uploading ${formatBytes(done)}/${formatBytes(state.size)}`);
  const interrupt = () => {
    progress.finish();
    note(
      `Interrupted: ${formatBytes(done)} of ${formatBytes(state.size)} on the server. Resume with:\n` +
        `  wharf upload resume ${state.upload} ${state.file}`,
    );
    process.exit(EXIT_INTERRUPTED);
  };
  process.once('SIGINT', interrupt);
  const handle = await open(state.file, 'r');
  try {
    draw();
    for (let offset = 0; offset < state.size; offset += state.chunk_size) {
      if (received.has(offset)) continue;
      const length = Math.min(state.chunk_size, state.size - offset);
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      if (bytesRead !== length) throw new UsageError(`${state.file} changed while it was being uploaded`);
      await client.put(state.upload, buffer, {
        'Content-Range': `bytes ${offset}-${offset + length - 1}/${state.size}`,
      });
      done += length;
      sent += length;
      draw();
    }
    progress.finish();
  } finally {
    process.removeListener('SIGINT', interrupt);
    await handle.close();
  }
  return sent;
}

function sha256Of(file: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolvePromise(hash.digest('hex')));
  });
}

export async function importTarball(
  context: Context,
  repository: string,
  file: string,
  options: { chunkSize?: number; wait: boolean },
): Promise<void> {
  // Fail before sending any byte when the repository does not exist.
  const href = await hrefOf(context.client, 'repository', repository);
  await uploadFile(context, file, { kind: 'import-tarball', repository: href }, options);
}
