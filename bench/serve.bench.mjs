// `npm run bench -- serve [--blob-mib N] [--seconds N] [--rounds N]`: Wharf's registry API against Debian's
// docker-registry, both serving the same content from local filesystem storage, one server at a time on the
// same machine, in --rounds alternating rounds (5 by default) of which each server's best counts.
// (a) GET of a --blob-mib MiB blob (256 by default), one client and 8 concurrent: MiB/s (target: Wharf ≥ 0.9 ×
//     docker-registry). (b) Manifest GET by tag on 32 keep-alive connections for --seconds s (10 by default):
//     requests per second (target: Wharf ≥ docker-registry) and p99 latency. (c) Each server process's RSS
//     while serving a small blob and the large one (target: flat whatever the blob size) and its peak.
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { basicAuthorization, freePort, startDockerRegistry, startWharfProcess } from '@wharf/testing';
import { downloadThroughput, floodRequests } from './lib/http-load.mjs';
import { childPid, cpuSecondsOf, memoryOf, sampleRss } from './lib/process-usage.mjs';
import { printTable, timed } from './lib/report.mjs';
import { pushLargeLayerImage, writeLargeLayer } from './lib/sync-content.mjs';

const DEFAULTS = { blobMib: 256, seconds: 10, rounds: 5 };
const SMALL_BLOB_MIB = 4;
const REPOSITORY = 'bench/serve';
const CONCURRENT_CLIENTS = 8;
const MANIFEST_CONNECTIONS = 32;
/**
 * Downloads per client: each measurement moves 2 GiB (one client) or 8 GiB (eight), so that it lasts
 * seconds rather than an instant, and a hiccup of the (shared, virtual) machine does not decide a round.
 */
const SINGLE_CLIENT_ROUNDS = 8;
const CONCURRENT_ROUNDS = 4;
const SMALL_BLOB_ROUNDS = 16;
/** Lets both servers warm up (JIT, caches, connection set-up) before the measured manifest flood. */
const WARM_UP_MS = 2_000;
const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');
const API = '/pulp/api/v3';
const WHARF_MAIN = 'apps/wharf/dist/main.js';
const TASK_POLL_MS = 50;
const TASK_TIMEOUT_MS = 10 * 60_000;
const SERVING_TIMEOUT_MS = 30_000;
const TARGETS = { blobRatio: 0.9, manifestRatio: 1 };
/** RSS growth from serving the small blob to serving the large one that still counts as flat. */
const FLAT_RSS_SLACK_MIB = 32;
const MiB = 1024 * 1024;

const log = (message) => console.log(`serve bench: ${message}`);
const verdict = (met) => (met ? 'met' : 'MISSED');

function parseArgs(args) {
  const options = { ...DEFAULTS };
  for (let i = 0; i < args.length; i += 2) {
    const key = { '--blob-mib': 'blobMib', '--seconds': 'seconds', '--rounds': 'rounds' }[args[i]];
    const value = Number(args[i + 1]);
    if (!key || !Number.isInteger(value) || value < 1) {
      throw new Error(
        `serve bench: expected --blob-mib N, --seconds N, --rounds N (positive integers), got ${args}`,
      );
    }
    options[key] = value;
  }
  return options;
}

/** Writes a layer of `mib` MiB to a scratch file, pushes it as `tag` of REPOSITORY, deletes the file. */
async function pushLayerImage(registry, scratch, tag, mib) {
  const path = join(scratch, `${tag}.tar`);
  const layer = await writeLargeLayer(path, mib);
  await pushLargeLayerImage(registry.url, REPOSITORY, tag, path, layer);
  rmSync(path);
  return layer;
}

/** The all-in-one Wharf on a fresh data directory, driven through its REST API as the admin. */
async function startWharf(cleanups) {
  const dataDir = mkdtempSync(join(tmpdir(), 'wharf-bench-serve-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const registryPort = await freePort();
  const wharf = await startWharfProcess('wharf', {
    WHARF_DATA_DIR: dataDir,
    WHARF_REGISTRY_PORT: String(registryPort),
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
  const awaitTask = async (what, { task }) => {
    const deadline = Date.now() + TASK_TIMEOUT_MS;
    for (;;) {
      const view = await api(task);
      if (view.state === 'completed') return view;
      if (['failed', 'canceled'].includes(view.state)) {
        throw new Error(`${what} task ${task} ${view.state}: ${view.error?.description ?? 'no error given'}`);
      }
      if (Date.now() > deadline) throw new Error(`${what} task ${task} still ${view.state} at the deadline`);
      await new Promise((resolve) => setTimeout(resolve, TASK_POLL_MS));
    }
  };
  return {
    url: `http://127.0.0.1:${registryPort}`,
    pid: childPid(WHARF_MAIN),
    /** Syncs REPOSITORY from `upstreamUrl` (policy immediate) and serves it, public, at the same path. */
    async mirrorAndServe(upstreamUrl) {
      const remote = await api(`${API}/remotes/container/container/`, {
        name: 'bench-serve',
        url: upstreamUrl,
        upstream_name: REPOSITORY,
        policy: 'immediate',
      });
      const repository = await api(`${API}/repositories/container/container/`, {
        name: 'bench-serve',
        remote: remote.pulp_href,
      });
      await awaitTask('sync', await api(`${repository.pulp_href}sync/`, {}));
      await awaitTask(
        'distribution',
        await api(`${API}/distributions/container/container/`, {
          name: 'bench-serve',
          base_path: REPOSITORY,
          repository: repository.pulp_href,
        }),
      );
    },
  };
}

/** Waits until `url` answers 200: a distribution may take a moment to be served after its task ends. */
async function untilServed(url) {
  const deadline = Date.now() + SERVING_TIMEOUT_MS;
  for (;;) {
    const response = await fetch(url, { headers: { Accept: MANIFEST_ACCEPT } });
    await response.arrayBuffer();
    if (response.status === 200) return;
    if (Date.now() > deadline)
      throw new Error(`${url} still answers ${response.status} after ${SERVING_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Every measurement against one server (its process is `pid`); the other server idles meanwhile. */
async function measureServer(server, { small, large }, seconds) {
  const blobUrl = (layer) => `${server.url}/v2/${REPOSITORY}/blobs/${layer.digest}`;
  const manifestUrl = `${server.url}/v2/${REPOSITORY}/manifests/large`;
  await untilServed(manifestUrl);

  log(`${server.name}: blob downloads`);
  // Once each first, so both servers read the blobs from the page cache rather than the disk.
  await downloadThroughput(blobUrl(small), { clients: 1, rounds: 1, expectedBytes: small.size });
  await downloadThroughput(blobUrl(large), { clients: 1, rounds: 1, expectedBytes: large.size });
  const whileSmall = await sampleRss(server.pid, () =>
    downloadThroughput(blobUrl(small), {
      clients: CONCURRENT_CLIENTS,
      rounds: SMALL_BLOB_ROUNDS,
      expectedBytes: small.size,
    }),
  );
  const cpuBefore = cpuSecondsOf(server.pid);
  const single = await sampleRss(server.pid, () =>
    downloadThroughput(blobUrl(large), {
      clients: 1,
      rounds: SINGLE_CLIENT_ROUNDS,
      expectedBytes: large.size,
    }),
  );
  // CPU time per byte does not depend on what else the machine runs, unlike MiB/s: it tells whether a
  // server is slower because it does more work per byte.
  const singleCpuMsPerGiB =
    ((cpuSecondsOf(server.pid) - cpuBefore) * 1000) / ((large.size * SINGLE_CLIENT_ROUNDS) / 1024 ** 3);
  const concurrentCpuBefore = cpuSecondsOf(server.pid);
  const concurrent = await sampleRss(server.pid, () =>
    downloadThroughput(blobUrl(large), {
      clients: CONCURRENT_CLIENTS,
      rounds: CONCURRENT_ROUNDS,
      expectedBytes: large.size,
    }),
  );

  const concurrentCpuMsPerGiB =
    ((cpuSecondsOf(server.pid) - concurrentCpuBefore) * 1000) /
    ((large.size * CONCURRENT_CLIENTS * CONCURRENT_ROUNDS) / 1024 ** 3);

  log(`${server.name}: manifest GETs on ${MANIFEST_CONNECTIONS} connections`);
  const flood = { connections: MANIFEST_CONNECTIONS, headers: { Accept: MANIFEST_ACCEPT } };
  await floodRequests(manifestUrl, { ...flood, durationMs: WARM_UP_MS });
  const manifests = await floodRequests(manifestUrl, { ...flood, durationMs: seconds * 1000 });
  return {
    singleMiBs: single.value.mibPerSecond,
    singleCpuMsPerGiB,
    concurrentMiBs: concurrent.value.mibPerSecond,
    concurrentCpuMsPerGiB,
    manifests,
    smallRssMiB: whileSmall.highestSampleMiB,
    largeRssMiB: Math.max(single.highestSampleMiB, concurrent.highestSampleMiB),
    peakMiB: memoryOf(server.pid).peakMiB,
  };
}

/**
 * One server's rounds combined: the fastest throughput, the least CPU per byte and the fastest manifest round
 * (its rps and latencies together), since outside load only ever slows a round down; the highest memory seen.
 */
function bestOf(rounds) {
  const highest = (pick) => Math.max(...rounds.map(pick));
  const fastestManifests = rounds
    .map((round) => round.manifests)
    .reduce((best, next) => (next.requestsPerSecond > best.requestsPerSecond ? next : best));
  return {
    singleMiBs: highest((round) => round.singleMiBs),
    singleCpuMsPerGiB: Math.min(...rounds.map((round) => round.singleCpuMsPerGiB)),
    concurrentMiBs: highest((round) => round.concurrentMiBs),
    concurrentCpuMsPerGiB: Math.min(...rounds.map((round) => round.concurrentCpuMsPerGiB)),
    manifests: fastestManifests,
    smallRssMiB: highest((round) => round.smallRssMiB),
    largeRssMiB: highest((round) => round.largeRssMiB),
    peakMiB: highest((round) => round.peakMiB),
  };
}

function printResults(options, layers, registry, wharf) {
  const ratio = (pick) => pick(wharf) / pick(registry);
  const row = (measure, pick, format, target) => [
    measure,
    format(pick(registry)),
    format(pick(wharf)),
    ratio(pick).toFixed(2),
    target ?? '',
  ];
  const mibs = (value) => value.toFixed(0);
  const ms = (value) => value.toFixed(2);
  const blobTarget = (pick) => `≥ ${TARGETS.blobRatio}: ${verdict(ratio(pick) >= TARGETS.blobRatio)}`;
  const growth = (server) => server.largeRssMiB - server.smallRssMiB;
  printTable(
    `Serving a ${options.blobMib} MiB blob and its manifest from local filesystem storage, one server at a ` +
      `time, best of ${options.rounds} rounds (Node ${process.version}, ${cpus().length} CPUs; the load ` +
      'generator shares them)',
    ['measure', 'docker-registry', 'Wharf', 'Wharf / docker-registry', 'target'],
    [
      row(
        `blob GET, 1 client × ${SINGLE_CLIENT_ROUNDS} (MiB/s)`,
        (s) => s.singleMiBs,
        mibs,
        blobTarget((s) => s.singleMiBs),
      ),
      row(`server CPU per GiB served, 1 client (ms, user + system)`, (s) => s.singleCpuMsPerGiB, mibs),
      row(
        `blob GET, ${CONCURRENT_CLIENTS} concurrent × ${CONCURRENT_ROUNDS} (MiB/s, all clients)`,
        (s) => s.concurrentMiBs,
        mibs,
        blobTarget((s) => s.concurrentMiBs),
      ),
      row(
        `server CPU per GiB served, ${CONCURRENT_CLIENTS} concurrent (ms, user + system)`,
        (s) => s.concurrentCpuMsPerGiB,
        mibs,
      ),
      row(
        `manifest GET by tag, ${MANIFEST_CONNECTIONS} connections, ${options.seconds} s (req/s)`,
        (s) => s.manifests.requestsPerSecond,
        mibs,
        `≥ ${TARGETS.manifestRatio}: ${verdict(
          ratio((s) => s.manifests.requestsPerSecond) >= TARGETS.manifestRatio,
        )}`,
      ),
      row('manifest GET p50 latency (ms)', (s) => s.manifests.p50Ms, ms),
      row('manifest GET p99 latency (ms)', (s) => s.manifests.p99Ms, ms),
      [
        'manifest GETs answered other than 200',
        `${registry.manifests.failures} of ${registry.manifests.requests}`,
        `${wharf.manifests.failures} of ${wharf.manifests.requests}`,
        '',
        '',
      ],
      row(
        `RSS, highest sample serving the ${SMALL_BLOB_MIB} MiB blob ×${CONCURRENT_CLIENTS} (MiB)`,
        (s) => s.smallRssMiB,
        String,
      ),
      row(`RSS, highest sample serving the ${options.blobMib} MiB blob (MiB)`, (s) => s.largeRssMiB, String),
      [
        `RSS growth from the ${SMALL_BLOB_MIB} MiB blob to the ${options.blobMib} MiB one (MiB)`,
        String(growth(registry)),
        String(growth(wharf)),
        '',
        `flat (< ${FLAT_RSS_SLACK_MIB} MiB): ${verdict(growth(wharf) < FLAT_RSS_SLACK_MIB)}`,
      ],
      row('peak RSS, VmHWM over the whole process life (MiB)', (s) => s.peakMiB, String),
    ],
  );
  log(
    `blobs: ${layers.large.digest} (${layers.large.size} bytes) and ${layers.small.digest} ` +
      `(${layers.small.size} bytes); Wharf's peak includes syncing them, docker-registry's receiving the push`,
  );
}

export async function run(args) {
  const options = parseArgs(args);
  // Undone last first, whatever step failed.
  const cleanups = [];
  try {
    const scratch = mkdtempSync(join(tmpdir(), 'wharf-bench-serve-blobs-'));
    cleanups.push(() => rmSync(scratch, { recursive: true, force: true }));
    const registry = await startDockerRegistry({ auth: 'none' });
    cleanups.push(() => registry.stop());

    log(`writing and pushing a ${options.blobMib} MiB and a ${SMALL_BLOB_MIB} MiB layer to docker-registry`);
    const pushed = await timed(async () => ({
      large: await pushLayerImage(registry, scratch, 'large', options.blobMib),
      small: await pushLayerImage(registry, scratch, 'small', SMALL_BLOB_MIB),
    }));
    const layers = pushed.value;
    log(`pushed in ${(pushed.ms / 1000).toFixed(1)} s; starting Wharf and syncing them`);
    const wharf = await startWharf(cleanups);
    const synced = await timed(() => wharf.mirrorAndServe(registry.url));
    log(`synced and distributed in ${(synced.ms / 1000).toFixed(1)} s`);

    const servers = [
      { name: 'docker-registry', url: registry.url, pid: childPid('docker-registry') },
      { name: 'Wharf', ...wharf },
    ];
    const results = servers.map(() => []);
    // Alternating rounds, so load from elsewhere on a shared machine hits both servers alike.
    for (let round = 1; round <= options.rounds; round++) {
      log(`round ${round} of ${options.rounds}`);
      for (const [i, server] of servers.entries()) {
        results[i].push(await measureServer(server, layers, options.seconds));
      }
    }
    const [registryResults, wharfResults] = results.map(bestOf);
    printResults(options, layers, registryResults, wharfResults);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}
