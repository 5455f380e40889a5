// `npm run bench -- sync [--tags N] [--layer-mib N] [--unique-kib N]`: Wharf's sync against skopeo's,
// from one docker-registry.
// 1. N tags (208 by default; a quarter two-platform indexes) over three shared 2 MiB base layers, each image
//    with a layer of its own of --unique-kib KiB (8192 by default), synced by the all-in-one Wharf (policy
//    immediate) and by `skopeo sync --all` into a directory, both straight from the registry: wall times and
//    their ratio (target: Wharf ≤ 0.5 × skopeo). The registry's access log counts Wharf's requests.
// 2. The same sync again with nothing changed upstream: its time against the first (target ≤ 5 %) and the
//    requests it sent, by kind.
//    Beside each Wharf sync, its floor: the same upstream requests sent by a bare registry client.
// 3. One image with a single layer of --layer-mib MiB (2048 by default) synced by a fresh Wharf: the Wharf
//    process's peak RSS (target < 256 MiB).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient } from '@wharf/registry-client';
import {
  basicAuthorization,
  blobsOf,
  freePort,
  manifestsOf,
  startDockerRegistry,
  startWharfProcess,
} from '@wharf/testing';
import { childPid, cpuSecondsOf, memoryOf, sampleRss } from './lib/process-usage.mjs';
import { printTable, timed } from './lib/report.mjs';
import {
  pushLargeLayerImage,
  pushTaggedImages,
  sharedBaseImages,
  writeLargeLayer,
} from './lib/sync-content.mjs';

const DEFAULTS = { tags: 208, layerMib: 2048, uniqueKib: 8192 };
const CONTENT = { baseLayers: 3, baseLayerBytes: 2 * 1024 * 1024 };
const REPOSITORY = 'bench/app';
const LARGE_REPOSITORY = 'bench/large';
const REMOTES = '/pulp/api/v3/remotes/container/container/';
const REPOSITORIES = '/pulp/api/v3/repositories/container/container/';
const WHARF_MAIN = 'apps/wharf/dist/main.js';
// Short, so a re-sync of a few hundred milliseconds is not rounded up by the wait between polls.
const TASK_POLL_MS = 20;
const TASK_TIMEOUT_MS = 60 * 60_000;
// Wharf's blob downloads in flight when a remote sets no download_concurrency (its registry client's default).
const WHARF_DEFAULT_CONCURRENCY = 8;
// The no-change re-sync is short enough for machine noise to swing it; its median over a few runs is reported.
const RESYNC_RUNS = 3;
// The registry writes its access log line just after answering; this is ample for it to be read.
const ACCESS_LOG_SETTLE_MS = 250;
const TARGETS = { syncRatio: 0.5, resyncShare: 0.05, peakRssMiB: 256 };
const MiB = 1024 * 1024;

const log = (message) => console.log(`sync bench: ${message}`);
const seconds = (ms) => (ms / 1000).toFixed(2);
const verdict = (met) => (met ? 'met' : 'MISSED');
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const spread = (values) => `${seconds(Math.min(...values))}–${seconds(Math.max(...values))} s`;

/** `fn` run `runs` times one after another: its results and the time of each. */
async function repeated(runs, fn) {
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await timed(fn));
  return { values: results.map((r) => r.value), ms: results.map((r) => r.ms) };
}

function parseArgs(args) {
  const options = { ...DEFAULTS };
  for (let i = 0; i < args.length; i += 2) {
    const key = { '--tags': 'tags', '--layer-mib': 'layerMib', '--unique-kib': 'uniqueKib' }[args[i]];
    const value = Number(args[i + 1]);
    if (!key || !Number.isInteger(value) || value < 1) {
      throw new Error(
        `sync bench: expected --tags N, --layer-mib N, --unique-kib N (positive integers), got ${args}`,
      );
    }
    options[key] = value;
  }
  return options;
}

/** The all-in-one Wharf on a fresh data directory, reached through its REST API as the admin. */
async function startWharf() {
  const dataDir = mkdtempSync(join(tmpdir(), 'wharf-bench-sync-'));
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
  return {
    pid,
    stop,
    /** A repository syncing `upstreamName` of the registry at `url` (policy immediate); returns its href. */
    async mirror(name, url, upstreamName) {
      const remote = await api(REMOTES, { name, url, upstream_name: upstreamName, policy: 'immediate' });
      const repository = await api(REPOSITORIES, { name, remote: remote.pulp_href });
      return repository.pulp_href;
    },
    /** Starts a sync and waits for its task to complete: the task view and the time from POST to seen done. */
    async sync(repositoryHref) {
      return timed(async () => {
        const { task } = await api(`${repositoryHref}sync/`, {});
        const deadline = Date.now() + TASK_TIMEOUT_MS;
        for (;;) {
          const view = await api(task);
          if (view.state === 'completed') return view;
          if (['failed', 'canceled'].includes(view.state)) {
            throw new Error(
              `sync task ${task} ${view.state}: ${view.error?.description ?? 'no error given'}`,
            );
          }
          if (Date.now() > deadline) throw new Error(`sync task ${task} still ${view.state} at the deadline`);
          await new Promise((resolve) => setTimeout(resolve, TASK_POLL_MS));
        }
      });
    },
  };
}

/** How long the task itself ran, by its own timestamps (without the REST round trips around it). */
const taskMs = (view) => Date.parse(view.finished_at) - Date.parse(view.started_at);

async function skopeoSync(registryPort, repository, destination) {
  const child = spawn(
    'skopeo',
    [
      'sync',
      '--all',
      '--src-tls-verify=false',
      '--src',
      'docker',
      '--dest',
      'dir',
      `127.0.0.1:${registryPort}/${repository}`,
      destination,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let errors = '';
  child.stderr.on('data', (chunk) => (errors = (errors + chunk).slice(-8192)));
  const code = await new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`skopeo sync of ${repository} exited with ${code}: ${errors}`);
}

function directoryBytes(directory) {
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .reduce((sum, entry) => sum + statSync(join(entry.parentPath, entry.name)).size, 0);
}

/**
 * What a no-change re-sync cannot avoid: the tag list and one HEAD per tag, sent to the same registry by
 * Wharf's registry client at Wharf's default concurrency (8) with nothing else around them.
 */
async function headEveryTag(url, repository) {
  const client = new RegistryClient({ url, concurrency: WHARF_DEFAULT_CONCURRENCY });
  try {
    await headTags(client, repository);
  } finally {
    await client.close();
  }
}

async function headTags(client, repository) {
  const tags = [];
  for await (const tag of client.listTags(repository)) tags.push(tag);
  await Promise.all(tags.map((tag) => client.headManifest(repository, tag)));
}

/**
 * What a first sync cannot avoid: the re-sync's requests plus every manifest and blob downloaded (verified,
 * then discarded), all at once under the client's concurrency limit; nothing is stored.
 */
async function downloadEverything(url, repository, manifestDigests, blobDigests) {
  const client = new RegistryClient({ url, concurrency: WHARF_DEFAULT_CONCURRENCY });
  try {
    await headTags(client, repository);
    await Promise.all([
      ...manifestDigests.map((digest) => client.getManifest(repository, digest)),
      ...blobDigests.map(async (digest) => {
        for await (const _ of await client.getBlob(repository, digest));
      }),
    ]);
  } finally {
    await client.close();
  }
}

/** `METHOD what` for one request the registry answered (an anonymous registry asks for no token). */
function requestKind({ method, url }) {
  const path = new URL(url, 'http://registry').pathname;
  if (path === '/v2/' || path === '/v2') return `${method} /v2/ (ping)`;
  if (path.endsWith('/tags/list')) return `${method} tags list`;
  if (path.includes('/manifests/')) return `${method} manifest`;
  if (path.includes('/blobs/')) return `${method} blob`;
  return `${method} ${path}`;
}

function countByKind(requests) {
  const counts = new Map();
  for (const request of requests) {
    const kind = requestKind(request);
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return counts;
}

/** How many requests the registry has logged, once the lines of those just answered have arrived. */
async function loggedRequests(registry) {
  await new Promise((resolve) => setTimeout(resolve, ACCESS_LOG_SETTLE_MS));
  return registry.requests.length;
}

async function compareWithSkopeo(registry, options, cleanups) {
  log(`pushing ${options.tags} tags to ${registry.url}/${REPOSITORY}`);
  const tagged = await sharedBaseImages({
    tags: options.tags,
    ...CONTENT,
    uniqueLayerBytes: options.uniqueKib * 1024,
  });
  const pushed = await timed(() => pushTaggedImages(registry.url, REPOSITORY, tagged));
  const blobs = new Map(tagged.flatMap(({ image }) => blobsOf(image).map((blob) => [blob.digest, blob])));
  const manifests = new Set(tagged.flatMap(({ image }) => manifestsOf(image).map((m) => m.digest)));
  const blobMiB = [...blobs.values()].reduce((sum, blob) => sum + blob.size, 0) / MiB;
  log(`pushed ${pushed.value} blobs and ${manifests.size} manifests in ${seconds(pushed.ms)} s`);

  const wharf = await startWharf();
  cleanups.push(() => wharf.stop());
  const repository = await wharf.mirror('bench-app', registry.url, REPOSITORY);
  log('Wharf: first sync');
  const firstFrom = await loggedRequests(registry);
  const cpuBefore = cpuSecondsOf(wharf.pid);
  const first = await wharf.sync(repository);
  const firstCpu = cpuSecondsOf(wharf.pid) - cpuBefore;
  const firstTo = await loggedRequests(registry);
  const firstRequests = countByKind(registry.requests.slice(firstFrom, firstTo));
  const firstFloor = await timed(() =>
    downloadEverything(registry.url, REPOSITORY, [...manifests], [...blobs.keys()]),
  );

  log('skopeo sync --all');
  const destination = mkdtempSync(join(tmpdir(), 'wharf-bench-skopeo-'));
  cleanups.push(() => rmSync(destination, { recursive: true, force: true }));
  const skopeo = await timed(() => skopeoSync(registry.port, REPOSITORY, destination));
  const skopeoMiB = directoryBytes(destination) / MiB;
  rmSync(destination, { recursive: true, force: true });

  log(`Wharf: ${RESYNC_RUNS} re-syncs with no change`);
  const againFrom = await loggedRequests(registry);
  const firstAgain = await wharf.sync(repository);
  const againTo = await loggedRequests(registry);
  const againRequests = countByKind(registry.requests.slice(againFrom, againTo));
  const moreAgain = await repeated(RESYNC_RUNS - 1, () => wharf.sync(repository));
  const againMs = [firstAgain.ms, ...moreAgain.values.map((run) => run.ms)];
  const againTaskMs = [firstAgain.value, ...moreAgain.values.map((run) => run.value)].map(taskMs);
  const floor = await repeated(RESYNC_RUNS, () => headEveryTag(registry.url, REPOSITORY));
  // Stopped now (stopping twice is harmless), so the large-layer run has the machine and its own process.
  await wharf.stop();

  const ratio = first.ms / skopeo.ms;
  const share = median(againMs) / first.ms;
  printTable(
    `Sync of ${options.tags} tags (${manifests.size} manifests, ${blobs.size} distinct blobs, ` +
      `${blobMiB.toFixed(0)} MiB distinct) from docker-registry`,
    ['run', 'wall s', 'notes'],
    [
      [
        'Wharf sync, policy immediate (POST → task completed)',
        seconds(first.ms),
        `task ran ${seconds(taskMs(first.value))} s, Wharf used ${firstCpu.toFixed(1)} CPU s`,
      ],
      [
        'its floor: the same requests, bare client',
        seconds(firstFloor.ms),
        'HEADs, then all GETs at once (8 in flight), bytes verified and dropped',
      ],
      [
        'skopeo sync --all → dir',
        seconds(skopeo.ms),
        `wrote ${skopeoMiB.toFixed(0)} MiB (one directory per tag, shared layers repeated)`,
      ],
      [
        'ratio Wharf / skopeo',
        ratio.toFixed(2),
        `target ≤ ${TARGETS.syncRatio}: ${verdict(ratio <= TARGETS.syncRatio)}`,
      ],
      [
        `Wharf re-sync, nothing changed (median of ${RESYNC_RUNS})`,
        seconds(median(againMs)),
        `${(share * 100).toFixed(1)} % of the first sync; target ≤ ${TARGETS.resyncShare * 100} %: ` +
          `${verdict(share <= TARGETS.resyncShare)}; runs ${spread(againMs)}, tasks ran ${spread(againTaskMs)}`,
      ],
      [
        `its floor: tag list + one HEAD per tag, bare client (median of ${RESYNC_RUNS})`,
        seconds(median(floor.ms)),
        `the same requests to the same registry, nothing else done; runs ${spread(floor.ms)}`,
      ],
    ],
  );
  const kinds = [...new Set([...firstRequests.keys(), ...againRequests.keys()])].sort();
  printTable(
    'Upstream requests Wharf sent, by kind (anonymous registry: no token requests)',
    ['request', 'first sync', 'one re-sync'],
    [
      ...kinds.map((kind) => [kind, firstRequests.get(kind) ?? 0, againRequests.get(kind) ?? 0]),
      ['total', firstTo - firstFrom, againTo - againFrom],
    ],
  );
}

async function measureLargeLayer(registry, options, cleanups) {
  const scratch = mkdtempSync(join(tmpdir(), 'wharf-bench-layer-'));
  cleanups.push(() => rmSync(scratch, { recursive: true, force: true }));
  const layerPath = join(scratch, 'layer.tar');
  log(`writing a ${options.layerMib} MiB layer`);
  const written = await timed(() => writeLargeLayer(layerPath, options.layerMib));
  const layer = written.value;
  log(`pushing it to ${registry.url}/${LARGE_REPOSITORY}`);
  const pushed = await timed(() =>
    pushLargeLayerImage(registry.url, LARGE_REPOSITORY, 'latest', layerPath, layer),
  );
  rmSync(layerPath);

  // A fresh process, so its peak (VmHWM) covers start-up and this sync only.
  const wharf = await startWharf();
  cleanups.push(() => wharf.stop());
  const repository = await wharf.mirror('bench-large', registry.url, LARGE_REPOSITORY);
  const before = memoryOf(wharf.pid);
  log('Wharf: syncing the large layer');
  const sampled = await sampleRss(wharf.pid, () => wharf.sync(repository));
  const after = memoryOf(wharf.pid);
  const synced = sampled.value;
  const layerMiB = layer.size / MiB;
  printTable(
    `Sync of one image with a ${options.layerMib} MiB layer (uncompressed tar of random bytes)`,
    ['step', 'value'],
    [
      ['write the layer file (streamed, hashed)', `${seconds(written.ms)} s`],
      ['push it to docker-registry (streamed)', `${seconds(pushed.ms)} s`],
      [
        'Wharf sync, POST → task completed',
        `${seconds(synced.ms)} s (${(layerMiB / (synced.ms / 1000)).toFixed(0)} MiB/s)`,
      ],
      ['Wharf RSS before the sync', `${before.rssMiB} MiB`],
      ['Wharf RSS, highest 100 ms sample during the sync', `${sampled.highestSampleMiB} MiB`],
      [
        'Wharf peak RSS (VmHWM, whole process life)',
        `${after.peakMiB} MiB; target < ${TARGETS.peakRssMiB} MiB: ${verdict(after.peakMiB < TARGETS.peakRssMiB)}`,
      ],
    ],
  );
}

export async function run(args) {
  const options = parseArgs(args);
  // Undone last first, whatever step failed.
  const cleanups = [];
  try {
    const registry = await startDockerRegistry({ auth: 'none', recordRequests: true });
    cleanups.push(() => registry.stop());
    await compareWithSkopeo(registry, options, cleanups);
    await measureLargeLayer(registry, options, cleanups);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}
