// `npm run bench -- replicate [--tags N] [--layer-mib N]`: Wharf's push replication against skopeo's, between
// two docker-registries, and its OCI layout export.
// 1. N tags (64 by default; a quarter two-platform indexes) over three shared base layers, synced into the
//    all-in-one Wharf, then pushed by a replication target to an empty docker-registry (through a front that
//    counts requests), and copied by `skopeo sync --all` docker → docker into another empty one: wall times.
// 2. The same push again with nothing new: its time and the requests it sent, by kind (no blob may go).
// 3. An oci-archive export of that version: time and MiB/s.
// 4. One image with a single layer of --layer-mib MiB (512 by default) pushed by a fresh Wharf: time, MiB/s and
//    the Wharf process's peak RSS (memory must stay flat whatever the layer size).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  basicAuthorization,
  blobsOf,
  freePort,
  manifestsOf,
  startDockerRegistry,
  startRegistryFront,
  startWharfProcess,
} from '@wharf/testing';
import { childPid, memoryOf, sampleRss } from './lib/process-usage.mjs';
import { printTable, timed } from './lib/report.mjs';
import {
  pushLargeLayerImage,
  pushTaggedImages,
  sharedBaseImages,
  writeLargeLayer,
} from './lib/sync-content.mjs';

const DEFAULTS = { tags: 64, layerMib: 512 };
const CONTENT = { baseLayers: 3, baseLayerBytes: 2 * 1024 * 1024, uniqueLayerBytes: 16 * 1024 };
const REPOSITORY = 'bench/app';
const LARGE_REPOSITORY = 'bench/large';
const REMOTES = '/pulp/api/v3/remotes/container/container/';
const REPOSITORIES = '/pulp/api/v3/repositories/container/container/';
const TARGETS = '/pulp/api/v3/replication-targets/';
const WHARF_MAIN = 'apps/wharf/dist/main.js';
const TASK_POLL_MS = 20;
const TASK_TIMEOUT_MS = 60 * 60_000;
const PEAK_RSS_TARGET_MIB = 256;
const MiB = 1024 * 1024;

const log = (message) => console.log(`replicate bench: ${message}`);
const seconds = (ms) => (ms / 1000).toFixed(2);
const verdict = (met) => (met ? 'met' : 'MISSED');

function parseArgs(args) {
  const options = { ...DEFAULTS };
  for (let i = 0; i < args.length; i += 2) {
    const key = { '--tags': 'tags', '--layer-mib': 'layerMib' }[args[i]];
    const value = Number(args[i + 1]);
    if (!key || !Number.isInteger(value) || value < 1) {
      throw new Error(
        `replicate bench: expected --tags N and/or --layer-mib N (positive integers), got ${args}`,
      );
    }
    options[key] = value;
  }
  return options;
}

/** The all-in-one Wharf on a fresh data directory (with an export root), driven through its REST API. */
async function startWharf(cleanups) {
  const dataDir = mkdtempSync(join(tmpdir(), 'wharf-bench-replicate-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const exportRoot = join(dataDir, 'exports');
  mkdirSync(exportRoot);
  const wharf = await startWharfProcess('wharf', {
    WHARF_DATA_DIR: join(dataDir, 'data'),
    WHARF_REGISTRY_PORT: String(await freePort()),
    WHARF_EXPORT_ROOT: exportRoot,
  });
  cleanups.push(() => wharf.stop());
  const pid = childPid(WHARF_MAIN);
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
  return {
    pid,
    exportRoot,
    stop: () => wharf.stop(),
    /** A repository synced from `upstreamName` of the registry at `url`; returns its href. */
    async synced(name, url, upstreamName) {
      const remote = await api(REMOTES, { name, url, upstream_name: upstreamName, policy: 'immediate' });
      const repository = await api(REPOSITORIES, { name, remote: remote.pulp_href });
      await task(`${repository.pulp_href}sync/`, {});
      return repository.pulp_href;
    },
    target: (name, url, path, repository) => api(TARGETS, { name, url, path, repository }),
    replicate: (target) => timed(() => task(`${target.pulp_href}replicate/`, {})),
    exportArchive: (repository, path) =>
      timed(() => task(`${repository}oci_export/`, { path, format: 'oci-archive' })),
  };
}

const taskMs = (view) => Date.parse(view.finished_at) - Date.parse(view.started_at);

async function skopeoSync(source, repository, destination) {
  const child = spawn(
    'skopeo',
    [
      'sync',
      '--all',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      '--src',
      'docker',
      '--dest',
      'docker',
      `127.0.0.1:${source.port}/${repository}`,
      `127.0.0.1:${destination.port}/copied`,
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

function requestKind({ method, url }) {
  const path = new URL(url, 'http://front').pathname;
  if (path === '/v2/' || path === '/v2') return `${method} /v2/`;
  if (path.endsWith('/tags/list')) return `${method} tags list`;
  if (path.includes('/blobs/uploads')) return `${method} blob upload`;
  if (path.includes('/manifests/')) return `${method} manifest`;
  if (path.includes('/blobs/')) return `${method} blob`;
  return `${method} ${path}`;
}

function countByKind(requests) {
  const counts = new Map();
  for (const request of requests)
    counts.set(requestKind(request), (counts.get(requestKind(request)) ?? 0) + 1);
  return counts;
}

async function compareWithSkopeo(source, options, cleanups) {
  log(`pushing ${options.tags} tags to ${source.url}/${REPOSITORY}`);
  const tagged = await sharedBaseImages({ tags: options.tags, ...CONTENT });
  await pushTaggedImages(source.url, REPOSITORY, tagged);
  const blobs = new Map(tagged.flatMap(({ image }) => blobsOf(image).map((blob) => [blob.digest, blob])));
  const manifests = new Set(tagged.flatMap(({ image }) => manifestsOf(image).map((m) => m.digest)));
  const blobMiB = [...blobs.values()].reduce((sum, blob) => sum + blob.size, 0) / MiB;

  const wharf = await startWharf(cleanups);
  log('Wharf: syncing the source');
  const repository = await wharf.synced('bench-app', source.url, REPOSITORY);

  const destination = await startDockerRegistry({ auth: 'none' });
  cleanups.push(() => destination.stop());
  const front = await startRegistryFront({ url: destination.url });
  cleanups.push(() => front.stop());
  const target = await wharf.target('bench-edge', front.url, 'edge/app', repository);
  log('Wharf: first push');
  const first = await wharf.replicate(target);
  const firstRequests = countByKind(front.requests);
  const firstCount = front.requests.length;
  log('Wharf: push again, nothing new');
  const again = await wharf.replicate(target);
  const againRequests = countByKind(front.requests.slice(firstCount));
  const againCount = front.requests.length - firstCount;

  const skopeoDestination = await startDockerRegistry({ auth: 'none' });
  cleanups.push(() => skopeoDestination.stop());
  log('skopeo sync --all docker → docker');
  const skopeo = await timed(() => skopeoSync(source, REPOSITORY, skopeoDestination));

  log('Wharf: oci-archive export');
  const exported = await wharf.exportArchive(repository, 'bench/app.tar');
  const archiveMiB = statSync(join(wharf.exportRoot, 'bench/app.tar')).size / MiB;
  await wharf.stop();

  printTable(
    `Push of ${options.tags} tags (${manifests.size} manifests, ${blobs.size} distinct blobs, ` +
      `${blobMiB.toFixed(0)} MiB distinct) to an empty docker-registry`,
    ['run', 'wall s', 'notes'],
    [
      [
        'Wharf replicate (POST → task completed)',
        seconds(first.ms),
        `task ran ${seconds(taskMs(first.value))} s; pushed ${first.value.result.blobsPushed} blobs, ` +
          `${first.value.result.manifestsPushed} manifests`,
      ],
      ['skopeo sync --all docker → docker', seconds(skopeo.ms), 'a fresh destination, the same content'],
      ['ratio Wharf / skopeo', (first.ms / skopeo.ms).toFixed(2), ''],
      [
        'Wharf replicate again, nothing new',
        seconds(again.ms),
        `blobs pushed: ${again.value.result.blobsPushed}; ${againCount} requests (one HEAD per tag)`,
      ],
      [
        'Wharf oci-archive export',
        seconds(exported.ms),
        `${archiveMiB.toFixed(0)} MiB written (${(archiveMiB / (exported.ms / 1000)).toFixed(0)} MiB/s)`,
      ],
    ],
  );
  const kinds = [...new Set([...firstRequests.keys(), ...againRequests.keys()])].sort();
  printTable(
    'Requests Wharf sent to the destination, by kind',
    ['request', 'first push', 'push again'],
    [
      ...kinds.map((kind) => [kind, firstRequests.get(kind) ?? 0, againRequests.get(kind) ?? 0]),
      ['total', firstCount, againCount],
    ],
  );
}

async function measureLargeLayer(source, options, cleanups) {
  const scratch = mkdtempSync(join(tmpdir(), 'wharf-bench-layer-'));
  cleanups.push(() => rmSync(scratch, { recursive: true, force: true }));
  const layerPath = join(scratch, 'layer.tar');
  log(`writing a ${options.layerMib} MiB layer and pushing it to the source`);
  const layer = await writeLargeLayer(layerPath, options.layerMib);
  await pushLargeLayerImage(source.url, LARGE_REPOSITORY, 'latest', layerPath, layer);
  rmSync(layerPath);

  const wharf = await startWharf(cleanups);
  const repository = await wharf.synced('bench-large', source.url, LARGE_REPOSITORY);
  const destination = await startDockerRegistry({ auth: 'none' });
  cleanups.push(() => destination.stop());
  const target = await wharf.target('bench-large-edge', destination.url, 'edge/large', repository);
  const before = memoryOf(wharf.pid);
  log('Wharf: pushing the large layer');
  const sampled = await sampleRss(wharf.pid, () => wharf.replicate(target));
  const after = memoryOf(wharf.pid);
  const pushed = sampled.value;
  const layerMiB = layer.size / MiB;
  printTable(
    `Push of one image with a ${options.layerMib} MiB layer`,
    ['step', 'value'],
    [
      [
        'Wharf replicate, POST → task completed',
        `${seconds(pushed.ms)} s (${(layerMiB / (pushed.ms / 1000)).toFixed(0)} MiB/s)`,
      ],
      ['Wharf RSS before the push', `${before.rssMiB} MiB`],
      ['Wharf RSS, highest 100 ms sample during the push', `${sampled.highestSampleMiB} MiB`],
      [
        'Wharf peak RSS (VmHWM, whole process life incl. the sync)',
        `${after.peakMiB} MiB; target < ${PEAK_RSS_TARGET_MIB} MiB: ${verdict(after.peakMiB < PEAK_RSS_TARGET_MIB)}`,
      ],
    ],
  );
}

export async function run(args) {
  const options = parseArgs(args);
  const cleanups = [];
  try {
    const source = await startDockerRegistry({ auth: 'none' });
    cleanups.push(() => source.stop());
    await compareWithSkopeo(source, options, cleanups);
    await measureLargeLayer(source, options, cleanups);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}
