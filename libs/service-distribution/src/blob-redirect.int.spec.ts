import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import type { INestApplication } from '@nestjs/common';
import { BlobStore } from '@wharf/ports';
import { createProcessApplication, loadSettings, Queries, type Env } from '@wharf/runtime';
import { ContentModule } from '@wharf/service-content';
import { PublicationModule } from '@wharf/service-publication';
import { TasksModule } from '@wharf/service-tasks';
import {
  DISTRIBUTION_TASKS,
  DISTRIBUTION_WORKER,
  DISTRIBUTIONS_RESOURCE,
  manifestKey,
  type CreateDistributionRequest,
  type TaskView,
} from '@wharf/contracts';
import { blobsOf, manifestsOf, randomImage, requireBinary, type FixtureManifest } from '@wharf/testing';
import { DistributionModule } from './distribution.module.js';
import { RegistryServer } from './registry/registry.server.js';

const s3Url = process.env.WHARF_TEST_S3_URL;
const bucket = process.env.WHARF_TEST_S3_BUCKET;
if (!s3Url || !bucket) {
  throw new Error(
    'WHARF_TEST_S3_URL and WHARF_TEST_S3_BUCKET are unset; run through vitest, which starts s3rver',
  );
}

/** Blob GETs with WHARF_S3_REDIRECT=true: 307 to a presigned URL of the bucket; HEAD still answered here. */
describe('blob redirects to S3', () => {
  let harness: RegistryHarness;
  const image = randomImage({ layers: 2, layerSize: 64 * 1024 });
  const other = randomImage({ layers: 1 });
  const layer = image.layers[0]!;

  beforeAll(async () => {
    harness = await RegistryHarness.start({
      WHARF_BLOB_STORE: 's3',
      WHARF_S3_URL: s3Url,
      WHARF_S3_BUCKET: bucket,
      WHARF_S3_ACCESS_KEY: 'S3RVER',
      WHARF_S3_SECRET_KEY: 'S3RVER',
      WHARF_S3_REDIRECT: 'true',
    });
    await harness.record(image);
    await harness.record(other);
    const repositoryId = await harness.repositoryWith('redirected', [image], { v1: image });
    await harness.distribute({ name: 'redirected', basePath: 'redirected', repositoryId });
    const otherId = await harness.repositoryWith('elsewhere', [other], { v1: other });
    await harness.distribute({ name: 'elsewhere', basePath: 'elsewhere', repositoryId: otherId });
  }, 60_000);

  afterAll(async () => {
    await harness?.stop();
  });

  it('answers a blob GET with 307 to a presigned URL of the bucket that serves the bytes', async () => {
    const response = await harness.get(`/v2/redirected/blobs/${layer.digest}`, { redirect: 'manual' });
    expect(response.status).toBe(307);
    expect(response.headers.get('docker-content-digest')).toBe(layer.digest);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin).toBe(new URL(s3Url).origin);
    expect(location.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(location.searchParams.get('X-Amz-Expires')).toBe(String(20 * 60));

    const followed = await harness.get(`/v2/redirected/blobs/${layer.digest}`);
    expect(followed.status).toBe(200);
    expect(Buffer.from(await followed.arrayBuffer()).equals(Buffer.from(layer.bytes))).toBe(true);
  });

  it('lets the bucket answer a range the client asked for', async () => {
    const response = await harness.get(`/v2/redirected/blobs/${layer.digest}`, {
      headers: { Range: 'bytes=100-199' },
    });
    expect(response.status).toBe(206);
    expect(
      Buffer.from(await response.arrayBuffer()).equals(Buffer.from(layer.bytes.subarray(100, 200))),
    ).toBe(true);
  });

  it('answers HEAD itself, with the blob’s length and digest', async () => {
    const response = await harness.get(`/v2/redirected/blobs/${layer.digest}`, {
      method: 'HEAD',
      redirect: 'manual',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(layer.size));
    expect(response.headers.get('docker-content-digest')).toBe(layer.digest);
    expect(response.headers.get('location')).toBeNull();
  });

  it('redirects only to blobs the served version holds', async () => {
    const response = await harness.get(`/v2/redirected/blobs/${other.layers[0]!.digest}`, {
      redirect: 'manual',
    });
    expect(response.status).toBe(404);
    expect(response.headers.get('location')).toBeNull();
    expect(((await response.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('BLOB_UNKNOWN');
  });

  it('still serves manifests itself, and skopeo copies the image through the redirects byte for byte', async () => {
    const manifest = await harness.get('/v2/redirected/manifests/v1', {
      headers: { Accept: image.mediaType },
      redirect: 'manual',
    });
    expect(manifest.status).toBe(200);
    await manifest.arrayBuffer();

    const skopeo = requireBinary('skopeo', 'skopeo');
    const target = mkdtempSync(join(tmpdir(), 'wharf-redirect-copy-'));
    try {
      const source = `docker://${new URL(harness.registry).host}/redirected:v1`;
      await promisify(execFile)(skopeo, ['copy', '--src-tls-verify=false', source, `dir:${target}`]);
      for (const blob of image.layers) {
        const copied = readFileSync(join(target, blob.digest.split(':')[1]!));
        expect(copied.equals(Buffer.from(blob.bytes))).toBe(true);
      }
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  });
});

/**
 * Content, publication and distribution services in one process on embedded adapters (or the settings
 * given), with the registry API on a free port.
 */
class RegistryHarness {
  readonly queries: Queries;
  readonly registry: string;

  private constructor(
    readonly app: INestApplication,
    private readonly dataDir: string,
  ) {
    this.queries = app.get(Queries);
    this.registry = `http://127.0.0.1:${app.get(RegistryServer).port}`;
  }

  static async start(env: Env = {}): Promise<RegistryHarness> {
    const dataDir = mkdtempSync(join(tmpdir(), 'wharf-registry-'));
    const settings = loadSettings(
      { WHARF_DATA_DIR: dataDir, WHARF_REGISTRY_PORT: '0', ...env },
      { bus: 'memory', eventStore: 'sqlite', blobStore: 'fs', httpPortVariable: 'X', httpPort: 0 },
    );
    const app = await createProcessApplication(
      'test',
      settings,
      [TasksModule, ContentModule, PublicationModule, DistributionModule],
      false,
    );
    await app.init();
    return new RegistryHarness(app, dataDir);
  }

  async stop(): Promise<void> {
    await this.app.close();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  get(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${this.registry}${path}`, init);
  }

  async settled(task: TaskView): Promise<TaskView> {
    for (let i = 0; i < 500; i++) {
      const current = await this.queries.ask('tasks.get', { id: task.id });
      if (['completed', 'failed', 'canceled'].includes(current.state)) return current;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`task ${task.id} (${task.name}) did not finish`);
  }

  /** Creates a distribution through its task; throws unless the task completes. */
  async distribute(request: CreateDistributionRequest): Promise<void> {
    const payload = await this.queries.ask('distribution.validate-create', request);
    const task = await this.settled(
      await this.queries.ask('tasks.dispatch', {
        name: DISTRIBUTION_TASKS.create,
        worker: DISTRIBUTION_WORKER,
        payload,
        exclusiveResources: [DISTRIBUTIONS_RESOURCE],
      }),
    );
    if (task.state !== 'completed')
      throw new Error(`distribution task ${task.state}: ${task.error?.description}`);
  }

  /** As sync and upload bring content: bytes into the blob store, then the units into the catalog. */
  async record(manifest: FixtureManifest): Promise<void> {
    const blobs = this.app.get(BlobStore, { strict: false });
    for (const blob of blobsOf(manifest)) {
      await blobs.put(Readable.from([blob.bytes]), blob.digest);
      await this.queries.ask('content.blob.record', { digest: blob.digest, size: blob.size });
    }
    for (const item of manifestsOf(manifest)) {
      await this.queries.ask('content.manifest.record', {
        bytes: Buffer.from(item.bytes).toString('base64'),
        mediaType: item.mediaType,
      });
    }
  }

  /** A repository holding `manifests`, tagged as given (each change a version); returns its id. */
  async repositoryWith(
    name: string,
    manifests: readonly FixtureManifest[],
    tags: Readonly<Record<string, FixtureManifest>> = {},
  ): Promise<string> {
    const repository = await this.queries.ask('content.repository.create', { name });
    await this.queries.ask('content.version.modify', {
      repositoryId: repository.id,
      add: manifests.map((m) => manifestKey(m.digest)),
    });
    for (const [tag, manifest] of Object.entries(tags)) {
      await this.queries.ask('content.version.tag', {
        repositoryId: repository.id,
        tag,
        digest: manifest.digest,
      });
    }
    return repository.id;
  }
}
