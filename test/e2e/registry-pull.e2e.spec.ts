import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { NatsBus } from '@wharf/bus-nats';
import { S3BlobStore } from '@wharf/blob-store-s3';
import {
  blobsOf,
  manifestsOf,
  multiPlatformImage,
  requireBinary,
  type FixtureManifest,
} from '@wharf/testing';
import { eventually, startAllInOne, startMultiProcess, type WharfDeployment } from './wharf-deployments.js';

const REPOSITORIES = '/pulp/api/v3/repositories/container/container/';
const DISTRIBUTIONS = '/pulp/api/v3/distributions/container/container/';

type Json = Record<string, unknown>;

/** A deployment's REST API, for the steps a user takes before pulling. */
function restClient(wharf: () => WharfDeployment) {
  const post = async (path: string, body: unknown): Promise<Json> => {
    const response = await wharf().api(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as Json;
    expect([201, 202], JSON.stringify(answer)).toContain(response.status);
    return answer;
  };
  const runTask = async (path: string, body: unknown): Promise<Json> => {
    const { task } = await post(path, body);
    const finished = await eventually(`task ${String(task)}`, async () => {
      const state = (await (await wharf().api(task as string)).json()) as Json;
      return ['completed', 'failed', 'canceled'].includes(state.state as string) ? state : undefined;
    });
    expect(finished.state, JSON.stringify(finished.error)).toBe('completed');
    return finished;
  };
  return { post, runTask };
}

describe('the registry API of the all-in-one process', () => {
  let wharf: WharfDeployment;
  const rest = restClient(() => wharf);

  beforeAll(async () => {
    wharf = await startAllInOne();
  }, 60_000);

  afterAll(async () => {
    await wharf?.stop();
  });

  it('serves a distribution created through the REST API on the registry port', async () => {
    const repository = await rest.post(REPOSITORIES, { name: 'app' });
    await rest.runTask(DISTRIBUTIONS, {
      name: 'app',
      base_path: 'team/app',
      repository: repository.pulp_href,
    });

    // Clients learn at /v2/ where to get a token; an anonymous one opens public distributions.
    const challenge = await fetch(`${wharf.registryUrl}/v2/`);
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="http:\/\/127\.0\.0\.1:\d+\/token"/,
    );
    const { token } = (await (await fetch(`${wharf.registryUrl}/token`)).json()) as { token: string };
    const base = await fetch(`${wharf.registryUrl}/v2/`, { headers: { Authorization: `Bearer ${token}` } });
    expect(base.status).toBe(200);
    expect(base.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    expect(await (await fetch(`${wharf.registryUrl}/v2/_catalog`)).json()).toEqual({
      repositories: ['team/app'],
    });
    expect(await (await fetch(`${wharf.registryUrl}/v2/team/app/tags/list`)).json()).toEqual({
      name: 'team/app',
      tags: [],
    });
    expect((await fetch(`${wharf.registryUrl}/v2/team/tags/list`)).status).toBe(404);
  });
});

/**
 * A real client pulls across processes: content arrives as sync and upload bring it (bytes into S3, units
 * recorded over NATS), the user versions and distributes it through the REST API, skopeo pulls it from the
 * distribution service's registry port.
 */
describe('pulling with skopeo from the multi-process deployment', () => {
  let wharf: WharfDeployment;
  let outDir: string;
  let skopeoBinary: string;
  const rest = restClient(() => wharf);
  const skopeo = promisify(execFile);
  const index = multiPlatformImage([
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64', variant: 'v8' },
  ]);

  async function record(manifest: FixtureManifest): Promise<void> {
    const env = wharf.serviceEnv!;
    const bus = await NatsBus.connect({
      servers: env.NATS_URL!,
      name: 'e2e-registry-content-source',
      streamPrefix: env.WHARF_NATS_STREAM_PREFIX!,
    });
    const blobs = new S3BlobStore({
      endPoint: env.WHARF_S3_URL!,
      accessKey: env.WHARF_S3_ACCESS_KEY!,
      secretKey: env.WHARF_S3_SECRET_KEY!,
      bucket: env.WHARF_S3_BUCKET!,
    });
    try {
      for (const blob of blobsOf(manifest)) {
        await blobs.put(Readable.from([blob.bytes]), blob.digest);
        await bus.request('content.blob.record', { digest: blob.digest, size: blob.size });
      }
      for (const item of manifestsOf(manifest)) {
        await bus.request('content.manifest.record', {
          bytes: Buffer.from(item.bytes).toString('base64'),
          mediaType: item.mediaType,
        });
      }
    } finally {
      await blobs.close();
      await bus.close();
    }
  }

  beforeAll(async () => {
    skopeoBinary = requireBinary('skopeo', 'skopeo');
    outDir = mkdtempSync(join(tmpdir(), 'wharf-e2e-skopeo-'));
    wharf = await startMultiProcess();
    await record(index);
  }, 120_000);

  afterAll(async () => {
    await wharf?.stop();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('copies a multi-arch image with all its platforms, byte for byte', async () => {
    const repository = await rest.post(REPOSITORIES, { name: 'multi' });
    const href = repository.pulp_href as string;
    await rest.runTask(`${href}add/`, {
      content_units: [`/pulp/api/v3/content/container/manifests/${index.digest}/`],
    });
    await rest.runTask(`${href}tag/`, { tag: 'v1', digest: index.digest });
    await rest.runTask(DISTRIBUTIONS, { name: 'multi', base_path: 'team/multi', repository: href });

    const source = `docker://${wharf.registryUrl.replace('http://', '')}/team/multi:v1`;
    const target = join(outDir, 'multi');
    await skopeo(skopeoBinary, ['copy', '--all', '--src-tls-verify=false', source, `oci:${target}:v1`], {
      timeout: 60_000,
    });
    const layout = JSON.parse(readFileSync(join(target, 'index.json'), 'utf8')) as {
      manifests: { digest: string }[];
    };
    expect(layout.manifests.map((m) => m.digest)).toEqual([index.digest]);
    for (const item of [...manifestsOf(index), ...blobsOf(index)]) {
      const stored = readFileSync(join(target, 'blobs', ...item.digest.split(':')));
      expect(stored.equals(Buffer.from(item.bytes)), item.digest).toBe(true);
    }
  }, 90_000);
});
