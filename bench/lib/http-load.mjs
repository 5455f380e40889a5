// Load for the serving benchmark without wrk or autocannon: whole-blob downloads by curl processes (bodies to
// /dev/null, never kept) and fixed-duration request floods on undici's keep-alive connections that record
// each request's latency.
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';

const MiB = 1024 * 1024;

/** One curl process GETting `url` `rounds` times on one keep-alive connection, bodies to /dev/null. */
async function curlDownloads(url, rounds, expectedBytes) {
  const transfers = Array.from({ length: rounds }, () => ['-o', '/dev/null', url]).flat();
  const child = spawn(
    'curl',
    ['--silent', '--show-error', '--write-out', '%{http_code} %{size_download}\\n', ...transfers],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let printed = '';
  child.stdout.on('data', (chunk) => (printed += chunk));
  child.stderr.on('data', (chunk) => (printed += chunk));
  const code = await new Promise((resolve, reject) => {
    child.once('error', reject);
    // 'close', not 'exit': only then has everything curl printed been read.
    child.once('close', resolve);
  });
  const answers = printed.trim().split('\n');
  const complete = answers.filter((line) => line === `200 ${expectedBytes}`).length;
  if (code !== 0 || complete !== rounds) {
    throw new Error(
      `curl GET ${url} ×${rounds} (expecting 200 and ${expectedBytes} bytes) exited with ${code} after: ${printed}`,
    );
  }
  return complete * expectedBytes;
}

/**
 * `clients` curl processes each GET `url` `rounds` times, one after the other; every body must be exactly
 * `expectedBytes` long. Returns the bytes received and the aggregate throughput over the wall time.
 * curl rather than undici: on two cores a Node client reading eight streams at once became the bottleneck
 * (well under half of what the same servers sent to curl), while curl processes spread over the CPUs.
 */
export async function downloadThroughput(url, { clients, rounds, expectedBytes }) {
  const started = performance.now();
  const received = await Promise.all(
    Array.from({ length: clients }, () => curlDownloads(url, rounds, expectedBytes)),
  );
  const seconds = (performance.now() - started) / 1000;
  const bytes = received.reduce((sum, part) => sum + part, 0);
  return { bytes, seconds, mibPerSecond: bytes / MiB / seconds };
}

/** The value below which `share` of the sorted samples fall (nearest rank). */
function percentile(sorted, share) {
  return sorted[Math.max(0, Math.ceil(share * sorted.length) - 1)];
}

/**
 * Keeps `connections` requests to `url` in flight for `durationMs` (each connection sends its next request
 * when the previous answer has been read). Non-200 answers are counted, not thrown: a server shedding load
 * is part of what is measured. Returns requests per second and latency percentiles in milliseconds.
 */
export async function floodRequests(url, { connections, durationMs, headers = {} }) {
  const agent = new Agent({ connections, pipelining: 1 });
  // One latency per request: at most a few hundred thousand numbers for a ten-second run.
  const latencies = [];
  let failures = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  const connection = async () => {
    while (performance.now() < deadline) {
      const sent = performance.now();
      const { statusCode, body } = await request(url, { dispatcher: agent, headers });
      await body.text();
      latencies.push(performance.now() - sent);
      if (statusCode !== 200) failures++;
    }
  };
  try {
    await Promise.all(Array.from({ length: connections }, connection));
  } finally {
    await agent.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: sorted.length,
    failures,
    requestsPerSecond: sorted.length / seconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
  };
}
