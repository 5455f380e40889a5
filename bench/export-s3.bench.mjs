// `npm run bench -- export-s3 [--layer-mib N]`: OCI layout export into an S3 bucket and import back from it.
// One image with a single layer of --layer-mib MiB (512 by default) is synced into the all-in-one Wharf, then
// exported to the export bucket (s3rver, in this process) as one oci-archive object and as 64 MiB chunks, and
// imported from the single object into a new repository. For each: wall time, MiB/s and the Wharf process's
// RSS, sampled every 100 ms: memory must stay flat whatever the layer size (parts of 8 MiB, ADR 17).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  basicAuthorization,
  freePort,
  startDockerRegistry,
  startS3Server,
  startWharfProcess,
} from '@wharf/testing';
import { childPid, memoryOf, sampleRss } from './lib/process-usage.mjs';
import { printTable, timed } from './lib/report.mjs';
import { pushLargeLayerImage, writeLargeLayer } from './lib/sync-content.mjs';

const DEFAULTS = { layerMib: 512 };
const REPOSITORY = 'bench/large';
const REMOTES = '/pulp/api/v3/remotes/container/container/';
const REPOSITORIES = '/pulp/api/v3/repositories/container/container/';
const WHARF_MAIN = 'apps/wharf/dist/main.js';
const TASK_POLL_MS = 50;
const TASK_TIMEOUT_MS = 60 * 60_000;
const CHUNK_SIZE = 64 * 1024 * 1024;
const MiB = 1024 * 1024;

const log = (message) => console.log(`export-s3 bench: ${message}`);
const seconds = (ms) => (ms / 1000).toFixed(2);

function parseArgs(args) {
  const options = { ...DEFAULTS };
  for (let i = 0; i < args.length; i += 2) {
    const value = Number(args[i + 1]);
    if (args[i] !== '--layer-mib' || !Number.isInteger(value) || value < 1) {
      throw new Error(`export-s3 bench: expected --layer-mib N (a positive integer), got ${args}`);
    }
    options.layerMib = value;
  }
  return options;
}

async function startWharf(s3, cleanups) {
  const dataDir = mkdtempSync(join(tmpdir(), 'wharf-bench-export-s3-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const wharf = await startWharfProcess('wharf', {
    WHARF_DATA_DIR: dataDir,
    WHARF_REGISTRY_PORT: String(await freePort()),
    WHARF_EXPORT_BUCKET: `${s3.bucket}/bench`,
    WHARF_S3_URL: s3.url,
    WHARF_S3_ACCESS_KEY: 'S3RVER',
    WHARF_S3_SECRET_KEY: 'S3RVER',
  });
  cleanups.push(() => wharf.stop());
  const api = async (path, body) => {
    const response = await fetch(`${wharf.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { Authorization: basicAuthorization(), 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`Wharf ${path} answered ${response.status}: ${text}`);
    return JSON.parse(text);
  };
  const task = async (path, body) => {
    const { task: href } = await api(path, body);
    const deadline = Date.now() + TASK_TIMEOUT_MS;
    for (;;) {
      const view = await api(href);
      if (view.state === 'completed') return view;
      if (['failed', 'canceled'].includes(view.state)) {
        throw new Error(`task ${href} ${view.state}: ${view.error?.description ?? 'no error given'}`);
      }
      if (Date.now() > deadline) throw new Error(`task ${href} still ${view.state} at the deadline`);
      await new Promise((resolve) => setTimeout(resolve, TASK_POLL_MS));
    }
  };
  return { pid: childPid(WHARF_MAIN), api, task };
}

export async function run(args) {
  const options = parseArgs(args);
  const cleanups = [];
  try {
    const source = await startDockerRegistry({ auth: 'none' });
    cleanups.push(() => source.stop());
    const scratch = mkdtempSync(join(tmpdir(), 'wharf-bench-layer-'));
    cleanups.push(() => rmSync(scratch, { recursive: true, force: true }));
    const layerPath = join(scratch, 'layer.tar');
    log(`writing a ${options.layerMib} MiB layer and pushing it to the source`);
    const layer = await writeLargeLayer(layerPath, options.layerMib);
    await pushLargeLayerImage(source.url, REPOSITORY, 'latest', layerPath, layer);
    rmSync(layerPath);

    const s3 = await startS3Server('bench-exports');
    cleanups.push(() => s3.stop());
    const wharf = await startWharf(s3, cleanups);
    log('Wharf: syncing the source');
    const remote = await wharf.api(REMOTES, {
      name: 'large',
      url: source.url,
      upstream_name: REPOSITORY,
      policy: 'immediate',
    });
    const repository = (await wharf.api(REPOSITORIES, { name: 'large', remote: remote.pulp_href })).pulp_href;
    await wharf.task(`${repository}sync/`, {});
    const target = (await wharf.api(REPOSITORIES, { name: 'from-bucket' })).pulp_href;

    const layerMiB = layer.size / MiB;
    const rows = [['Wharf RSS before the exports', `${memoryOf(wharf.pid).rssMiB} MiB`, '']];
    const measure = async (step, path, body) => {
      log(step);
      const sampled = await sampleRss(wharf.pid, () => timed(() => wharf.task(path, body)));
      rows.push([
        step,
        `${seconds(sampled.value.ms)} s (${(layerMiB / (sampled.value.ms / 1000)).toFixed(0)} MiB/s)`,
        `${sampled.highestSampleMiB} MiB`,
      ]);
    };
    await measure('export to S3, one oci-archive object', `${repository}oci_export/`, {
      path: 'large.tar',
      format: 'oci-archive',
      storage: 's3',
    });
    await measure('export to S3, 64 MiB chunks + SHA256SUMS', `${repository}oci_export/`, {
      path: 'large-chunks',
      format: 'oci-archive',
      chunk_size: CHUNK_SIZE,
      storage: 's3',
    });
    await measure('import from S3, the oci-archive object', `${target}oci_import/`, {
      path: 'large.tar',
      format: 'oci-archive',
      storage: 's3',
    });
    rows.push([
      'Wharf peak RSS (VmHWM, whole life incl. the sync)',
      `${memoryOf(wharf.pid).peakMiB} MiB`,
      '',
    ]);
    printTable(
      `Export to and import from S3 (s3rver) of one image with a ${options.layerMib} MiB layer`,
      ['step', 'wall', 'highest RSS sample'],
      rows,
    );
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}
