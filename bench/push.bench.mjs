// `npm run bench -- push [section…] [--blob-mib N] [--stream-mib N] [--rounds N]`: pushing into Wharf.
// Named sections (all by default; name some to run only those):
//   blob-upload  Wharf's registry API against Debian's docker-registry, each on local filesystem storage, one
//                server at a time on the same machine, in --rounds alternating rounds (3) of which each
//                server's best counts: a --blob-mib MiB blob (256) uploaded monolithically (POST, then one PUT
//                with the body) and chunked (POST, 16 MiB PATCHes with Content-Range, PUT with the digest):
//                MiB/s (target: Wharf ≥ 0.9 × docker-registry).
//   streamed-push  A --stream-mib MiB blob (1024) pushed to Wharf as skopeo and docker do (one streamed PATCH
//                of unknown length, then PUT with the digest): time, and the Wharf process's RSS while it
//                streams (target: flat whatever the blob size) and peak (VmHWM).
// Sections share nothing but the Wharf and docker-registry processes started for them; another section
// (tarball import) can be added to SECTIONS.
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, Agent } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { basicAuthorization, freePort, startDockerRegistry, startWharfProcess } from '@wharf/testing';
import { childPid, memoryOf, sampleRss } from './lib/process-usage.mjs';
import { printTable, timed } from './lib/report.mjs';
import { writeLargeLayer } from './lib/sync-content.mjs';

const DEFAULTS = { blobMib: 256, streamMib: 1024, rounds: 3 };
const CHUNK_MIB = 16;
const WHARF_MAIN = 'apps/wharf/dist/main.js';
const TARGETS = { blobRatio: 0.9 };
/** RSS growth while streaming the large blob that still counts as flat. */
const FLAT_RSS_SLACK_MIB = 64;
const MiB = 1024 * 1024;

const log = (message) => console.log(`push bench: ${message}`);
const verdict = (met) => (met ? 'met' : 'MISSED');
const agent = new Agent({ keepAlive: true });

function parseArgs(args) {
  const options = { ...DEFAULTS, sections: [] };
  for (let i = 0; i < args.length; i++) {
    const key = { '--blob-mib': 'blobMib', '--stream-mib': 'streamMib', '--rounds': 'rounds' }[args[i]];
    if (!key) {
      if (!SECTIONS[args[i]]) {
        throw new Error(
          `push bench: unknown section or option ${args[i]}; sections: ${Object.keys(SECTIONS)}`,
        );
      }
      options.sections.push(args[i]);
      continue;
    }
    const value = Number(args[++i]);
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`push bench: ${args[i - 1]} needs a positive integer`);
    options[key] = value;
  }
  if (options.sections.length === 0) options.sections = Object.keys(SECTIONS);
  return options;
}

/** One HTTP request; `body` is a Buffer, a readable stream, or absent. Resolves with status and headers. */
function send(url, method, headers, body) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body === undefined || Buffer.isBuffer(body)) req.end(body);
    else body.on('error', reject).pipe(req);
  });
}

function expectStatus(response, status, what) {
  if (response.status !== status) {
    throw new Error(`${what}: expected ${status}, got ${response.status} ${response.body}`);
  }
}

/** A registry client for the upload endpoints; `authorization` is sent on every request when set. */
function uploader(server) {
  const headers = (extra = {}) => ({
    ...(server.authorization && { Authorization: server.authorization }),
    ...extra,
  });
  const start = async (name) => {
    const started = await send(
      new URL(`/v2/${name}/blobs/uploads/`, server.url),
      'POST',
      headers({ 'Content-Length': '0' }),
    );
    expectStatus(started, 202, `${server.name}: starting an upload`);
    return new URL(started.headers.location, server.url);
  };
  const finish = async (location, layer, body, length) => {
    location.searchParams.set('digest', layer.digest);
    const response = await send(
      location,
      'PUT',
      headers({ 'Content-Length': String(length), 'Content-Type': 'application/octet-stream' }),
      body,
    );
    expectStatus(response, 201, `${server.name}: finishing the upload of ${layer.digest}`);
  };
  return {
    async monolithic(name, layer, path) {
      await finish(await start(name), layer, createReadStream(path), layer.size);
    },
    async chunked(name, layer, path) {
      let location = await start(name);
      const chunk = CHUNK_MIB * MiB;
      for (let offset = 0; offset < layer.size; offset += chunk) {
        const end = Math.min(layer.size, offset + chunk) - 1;
        const response = await send(
          location,
          'PATCH',
          headers({
            'Content-Type': 'application/octet-stream',
            'Content-Range': `${offset}-${end}`,
            'Content-Length': String(end - offset + 1),
          }),
          createReadStream(path, { start: offset, end }),
        );
        expectStatus(response, 202, `${server.name}: chunk ${offset}-${end}`);
        location = new URL(response.headers.location, server.url);
      }
      await finish(location, layer, Buffer.alloc(0), 0);
    },
    /** One PATCH of unknown length (chunked transfer encoding), then the PUT: what skopeo does. */
    async streamed(name, layer, path) {
      const location = await start(name);
      const response = await send(
        location,
        'PATCH',
        headers({ 'Content-Type': 'application/octet-stream', 'Transfer-Encoding': 'chunked' }),
        createReadStream(path),
      );
      expectStatus(response, 202, `${server.name}: streamed PATCH`);
      await finish(new URL(response.headers.location, server.url), layer, Buffer.alloc(0), 0);
    },
  };
}

/** The all-in-one Wharf on a fresh data directory (filesystem blob store), pushed to as the admin. */
async function startWharf(cleanups) {
  const dataDir = mkdtempSync(join(tmpdir(), 'wharf-bench-push-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const registryPort = await freePort();
  const wharf = await startWharfProcess('wharf', {
    WHARF_DATA_DIR: dataDir,
    WHARF_REGISTRY_PORT: String(registryPort),
  });
  cleanups.push(() => wharf.stop());
  return {
    name: 'Wharf',
    url: `http://127.0.0.1:${registryPort}`,
    authorization: basicAuthorization(),
    pid: childPid(WHARF_MAIN),
  };
}

/** Each server's uploads of fresh blobs (so neither finds the bytes already stored), best of the rounds. */
async function blobUpload(options, context) {
  const servers = [context.registry, context.wharf];
  const best = servers.map(() => ({ monolithic: 0, chunked: 0 }));
  for (let round = 1; round <= options.rounds; round++) {
    log(`blob-upload: round ${round} of ${options.rounds}`);
    for (const [i, server] of servers.entries()) {
      const client = uploader(server);
      for (const mode of ['monolithic', 'chunked']) {
        const path = join(context.scratch, `${mode}.bin`);
        const layer = await writeLargeLayer(path, options.blobMib);
        const { ms } = await timed(() => client[mode](`bench/${mode}`, layer, path));
        rmSync(path);
        best[i][mode] = Math.max(best[i][mode], layer.size / MiB / (ms / 1000));
      }
    }
  }
  const [registry, wharf] = best;
  const row = (label, mode) => {
    const ratio = wharf[mode] / registry[mode];
    return [
      label,
      registry[mode].toFixed(0),
      wharf[mode].toFixed(0),
      ratio.toFixed(2),
      `≥ ${TARGETS.blobRatio}: ${verdict(ratio >= TARGETS.blobRatio)}`,
    ];
  };
  printTable(
    `Uploading a ${options.blobMib} MiB blob to local filesystem storage, one server at a time, best of ` +
      `${options.rounds} rounds (Node ${process.version}, ${cpus().length} CPUs; the client shares them)`,
    ['measure', 'docker-registry', 'Wharf', 'Wharf / docker-registry', 'target'],
    [
      row('monolithic: POST, PUT with the body (MiB/s)', 'monolithic'),
      row(`chunked: POST, ${CHUNK_MIB} MiB PATCHes, PUT (MiB/s)`, 'chunked'),
    ],
  );
}

/** A large blob streamed into Wharf in one PATCH, with the process's RSS sampled throughout. */
async function streamedPush(options, context) {
  const path = join(context.scratch, 'streamed.bin');
  log(`streamed-push: writing a ${options.streamMib} MiB blob`);
  const layer = await writeLargeLayer(path, options.streamMib);
  const { wharf } = context;
  const before = memoryOf(wharf.pid).rssMiB;
  log('streamed-push: pushing it to Wharf');
  const sampled = await sampleRss(wharf.pid, () =>
    timed(() => uploader(wharf).streamed('bench/streamed', layer, path)),
  );
  rmSync(path);
  const seconds = sampled.value.ms / 1000;
  const growth = sampled.highestSampleMiB - before;
  printTable(
    `Pushing a ${options.streamMib} MiB blob to Wharf in one streamed PATCH and a PUT (filesystem storage)`,
    ['measure', 'value', 'target'],
    [
      ['time (s)', seconds.toFixed(1), ''],
      ['throughput (MiB/s)', (layer.size / MiB / seconds).toFixed(0), ''],
      ['RSS before the push (MiB)', String(before), ''],
      ['RSS, highest sample during the push (MiB)', String(sampled.highestSampleMiB), ''],
      [
        'RSS growth during the push (MiB)',
        String(growth),
        `flat (< ${FLAT_RSS_SLACK_MIB} MiB): ${verdict(growth < FLAT_RSS_SLACK_MIB)}`,
      ],
      ['peak RSS, VmHWM over the whole process life (MiB)', String(memoryOf(wharf.pid).peakMiB), ''],
    ],
  );
}

/** The benchmark's sections by name, run in this order. */
const SECTIONS = {
  'blob-upload': blobUpload,
  'streamed-push': streamedPush,
};

export async function run(args) {
  const options = parseArgs(args);
  // Undone last first, whatever step failed.
  const cleanups = [() => agent.destroy()];
  try {
    const scratch = mkdtempSync(join(tmpdir(), 'wharf-bench-push-blobs-'));
    cleanups.push(() => rmSync(scratch, { recursive: true, force: true }));
    const dockerRegistry = await startDockerRegistry({ auth: 'none' });
    cleanups.push(() => dockerRegistry.stop());
    const registry = { name: 'docker-registry', url: dockerRegistry.url, pid: childPid('docker-registry') };
    const wharf = await startWharf(cleanups);
    const context = { scratch, registry, wharf };
    for (const section of options.sections) await SECTIONS[section](options, context);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}
