// `npm run bench -- import [--mib N]`: import of a docker-archive of N MiB (1024 by default) through the REST
// API of the all-in-one Wharf: `POST {repository_href}import_tarball/` with the archive as the multipart field
// `file`, streamed from disk, then the task that reads it and makes the version. Reports the time of each
// step and the Wharf process's peak RSS (target < 256 MiB: the archive is streamed, never held).
import { createHash, randomFillSync } from 'node:crypto';
import { createWriteStream, mkdtempSync, openAsBlob, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pack } from 'tar-stream';
import { basicAuthorization, freePort, startWharfProcess } from '@wharf/testing';
import { childPid, memoryOf, sampleRss } from './lib/process-usage.mjs';
import { printTable, timed } from './lib/report.mjs';

const DEFAULTS = { mib: 1024 };
const LAYERS = 4;
const MiB = 1024 * 1024;
const REPOSITORIES = '/pulp/api/v3/repositories/container/container/';
const WHARF_MAIN = 'apps/wharf/dist/main.js';
const TASK_POLL_MS = 50;
const TARGETS = { peakRssMiB: 256 };

const log = (message) => console.log(`import bench: ${message}`);
const seconds = (ms) => (ms / 1000).toFixed(2);
const verdict = (met) => (met ? 'met' : 'MISSED');

function parseArgs(args) {
  const options = { ...DEFAULTS };
  for (let i = 0; i < args.length; i += 2) {
    const value = Number(args[i + 1]);
    if (args[i] !== '--mib' || !Number.isInteger(value) || value < LAYERS) {
      throw new Error(`import bench: expected --mib N (an integer ≥ ${LAYERS}), got ${args}`);
    }
    options.mib = value;
  }
  return options;
}

/** Writes one entry of `size` bytes made by `fill`, respecting the pack's back-pressure; returns its sha256. */
async function writeEntry(archive, name, size, fill) {
  const hash = createHash('sha256');
  const entry = archive.entry({ name, size, mode: 0o644 });
  const chunk = Buffer.alloc(4 * MiB);
  for (let written = 0; written < size;) {
    const part = chunk.subarray(0, Math.min(chunk.length, size - written));
    fill(part, written);
    hash.update(part);
    written += part.length;
    if (!entry.write(Buffer.from(part))) await new Promise((resolve) => entry.once('drain', resolve));
  }
  entry.end();
  await new Promise((resolve, reject) => entry.once('finish', resolve).once('error', reject));
  return `sha256:${hash.digest('hex')}`;
}

/**
 * A docker-save style archive of one image: LAYERS uncompressed layers of random bytes (each starts with a tar
 * header, so it reads as an uncompressed tar), then its config, then manifest.json — written as a stream.
 */
async function writeArchive(path, totalBytes) {
  const archive = pack();
  const written = pipeline(archive, createWriteStream(path));
  const layerSize = Math.floor(totalBytes / LAYERS);
  const layers = [];
  for (let n = 0; n < LAYERS; n++) {
    const name = `layer-${n}.tar`;
    const digest = await writeEntry(archive, name, layerSize, (part, offset) => {
      randomFillSync(part);
      if (offset === 0) part.fill(0, 0, Math.min(512, part.length));
    });
    layers.push({ name, digest });
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: {},
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
    }),
  );
  const configName = `${createHash('sha256').update(config).digest('hex')}.json`;
  await writeEntry(archive, configName, config.length, (part) => config.copy(part));
  const manifest = Buffer.from(
    JSON.stringify([
      { Config: configName, RepoTags: ['bench/import:latest'], Layers: layers.map((l) => l.name) },
    ]),
  );
  await writeEntry(archive, 'manifest.json', manifest.length, (part) => manifest.copy(part));
  archive.finalize();
  await written;
}

async function startWharf() {
  const dataDir = mkdtempSync(join(tmpdir(), 'wharf-bench-import-'));
  const wharf = await startWharfProcess('wharf', {
    WHARF_DATA_DIR: dataDir,
    WHARF_REGISTRY_PORT: String(await freePort()),
  });
  const stop = async () => {
    await wharf.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  let pid;
  try {
    pid = childPid(WHARF_MAIN);
  } catch (error) {
    await stop();
    throw error;
  }
  const api = async (path, init = {}) => {
    const response = await fetch(`${wharf.url}${path}`, {
      ...init,
      headers: { Authorization: basicAuthorization(), ...init.headers },
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`Wharf ${path} answered ${response.status}: ${text}`);
    return JSON.parse(text);
  };
  return { pid, stop, api };
}

export async function run(args) {
  const options = parseArgs(args);
  const dir = mkdtempSync(join(tmpdir(), 'wharf-bench-import-archive-'));
  const cleanups = [() => rmSync(dir, { recursive: true, force: true })];
  try {
    const path = join(dir, 'archive.tar');
    log(`writing a ${options.mib} MiB docker-archive to ${path}`);
    const written = await timed(() => writeArchive(path, options.mib * MiB));
    const archiveMiB = statSync(path).size / MiB;

    // A fresh process, so its peak (VmHWM) covers start-up and this import only.
    const wharf = await startWharf();
    cleanups.unshift(() => wharf.stop());
    const repository = await wharf.api(REPOSITORIES, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'bench-import' }),
    });
    const before = memoryOf(wharf.pid);
    log('Wharf: uploading and importing the archive');
    let uploadMs = 0;
    const sampled = await sampleRss(wharf.pid, () =>
      timed(async () => {
        const form = new FormData();
        form.set('file', await openAsBlob(path), 'archive.tar');
        const posted = await timed(() =>
          wharf.api(`${repository.pulp_href}import_tarball/`, { method: 'POST', body: form }),
        );
        uploadMs = posted.ms;
        for (;;) {
          const task = await wharf.api(posted.value.task);
          if (task.state === 'completed') return task;
          if (['failed', 'canceled'].includes(task.state)) {
            throw new Error(`import task ${task.state}: ${task.error?.description ?? 'no error given'}`);
          }
          await new Promise((resolve) => setTimeout(resolve, TASK_POLL_MS));
        }
      }),
    );
    const after = memoryOf(wharf.pid);
    const total = sampled.value.ms;
    const taskMs = total - uploadMs;
    printTable(
      `Import of a ${archiveMiB.toFixed(0)} MiB docker-archive (${LAYERS} uncompressed layers) through the REST API, all-in-one`,
      ['step', 'value'],
      [
        ['write the archive (streamed)', `${seconds(written.ms)} s`],
        [
          'POST import_tarball/ (multipart, streamed into an artifact) → 202',
          `${seconds(uploadMs)} s (${(archiveMiB / (uploadMs / 1000)).toFixed(0)} MiB/s)`,
        ],
        [
          'import task: read the archive, store its files, record, one version',
          `${seconds(taskMs)} s (${(archiveMiB / (taskMs / 1000)).toFixed(0)} MiB/s)`,
        ],
        ['total, POST → task completed', `${seconds(total)} s`],
        ['Wharf RSS before the import', `${before.rssMiB} MiB`],
        ['Wharf RSS, highest 100 ms sample during the import', `${sampled.highestSampleMiB} MiB`],
        [
          'Wharf peak RSS (VmHWM, whole process life)',
          `${after.peakMiB} MiB; target < ${TARGETS.peakRssMiB} MiB: ${verdict(after.peakMiB < TARGETS.peakRssMiB)}`,
        ],
      ],
    );
  } finally {
    for (const cleanup of cleanups) await cleanup();
  }
}
