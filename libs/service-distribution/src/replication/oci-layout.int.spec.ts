import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createWriteStream } from 'node:fs';
import { Client } from 'minio';
import { promisify } from 'node:util';
import type { INestApplication } from '@nestjs/common';
import { BlobStore, RemoteError } from '@wharf/ports';
import { createProcessApplication, loadSettings, Queries } from '@wharf/runtime';
import { ContentModule } from '@wharf/service-content';
import { TasksModule } from '@wharf/service-tasks';
import { PublicationModule } from '@wharf/service-publication';
import {
  DISTRIBUTION_WORKER,
  manifestKey,
  REPLICATION_TASKS,
  type CatalogUnit,
  type ExportTaskPayload,
  type ImportTaskPayload,
  type TaskView,
} from '@wharf/contracts';
import {
  artifactManifest,
  blobsOf,
  manifestsOf,
  multiPlatformImage,
  randomImage,
  requireBinary,
  type FixtureManifest,
} from '@wharf/testing';
import { DistributionModule } from '../distribution.module.js';

const run = promisify(execFile);
const s3Url = process.env.WHARF_TEST_S3_URL;
const s3Bucket = process.env.WHARF_TEST_S3_BUCKET;
if (!s3Url || !s3Bucket) {
  throw new Error('WHARF_TEST_S3_URL and WHARF_TEST_S3_BUCKET are unset; run these tests through vitest');
}
// s3rver accepts any key pair; a distinctive secret lets the tests check that it never shows.
const s3Credentials = { accessKey: 'S3RVER', secretKey: `secret-${randomUUID()}` };
const exportPrefix = `exports-${randomUUID()}`;
/** A plain client, to look at the export bucket as an operator would. */
const inspector = new Client({
  endPoint: new URL(s3Url).hostname,
  port: Number(new URL(s3Url).port),
  useSSL: false,
  region: 'us-east-1',
  ...s3Credentials,
});
const sha256 = (bytes: Buffer | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

const ociImage = randomImage({ layers: 2, layerSize: 3000 });
const dockerImage = randomImage({ format: 'docker', layers: 1 });
const multiArch = multiPlatformImage([
  { os: 'linux', architecture: 'amd64' },
  { os: 'linux', architecture: 'arm64', variant: 'v8' },
]);
// Untagged: an export must carry it all the same.
const signature = artifactManifest({ artifactType: 'application/vnd.wharf.signature', subject: ociImage });
const tags: Record<string, FixtureManifest> = { app: ociImage, legacy: dockerImage, multi: multiArch };

/**
 * OCI image layout export and import through the bus, as the gateway dispatches them: read back by skopeo
 * (the reference reader of `oci:` and `oci-archive:`), and imported again with equal tags and digests.
 */
describe('OCI image layout export and import (embedded adapters)', () => {
  let dataDir: string;
  let exportRoot: string;
  let app: INestApplication;
  let queries: Queries;
  let repositoryId: string;
  let version: number;
  const skopeo = requireBinary('skopeo', 'skopeo');

  const settled = async (task: TaskView): Promise<TaskView> => {
    for (let i = 0; i < 500; i++) {
      const current = await queries.ask('tasks.get', { id: task.id });
      if (['completed', 'failed', 'canceled'].includes(current.state)) return current;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`task ${task.id} (${task.name}) did not finish`);
  };

  const exportVersion = async (request: Omit<ExportTaskPayload, 'repositoryId' | 'version'>) => {
    const payload = await queries.ask('replication.validate-export', { repositoryId, version, ...request });
    const task = await settled(
      await queries.ask('tasks.dispatch', {
        name: REPLICATION_TASKS.export,
        worker: DISTRIBUTION_WORKER,
        payload,
        exclusiveResources: [],
      }),
    );
    expect(task.state, task.error?.description).toBe('completed');
    return join(exportRoot, request.path);
  };

  const importInto = async (name: string, request: Omit<ImportTaskPayload, 'repositoryId'>) => {
    const target = await queries.ask('content.repository.create', { name });
    const payload = await queries.ask('replication.validate-import', { repositoryId: target.id, ...request });
    const task = await settled(
      await queries.ask('tasks.dispatch', {
        name: REPLICATION_TASKS.import,
        worker: DISTRIBUTION_WORKER,
        payload,
        exclusiveResources: [],
      }),
    );
    return { repositoryId: target.id, task };
  };

  /** Every unit of a repository's latest version: `tag:name@digest`, `manifest:…`, `blob:…`. */
  const unitKeys = async (id: string) => {
    const repository = await queries.ask('content.repository.get', { id });
    const keys: string[] = [];
    let afterKey: string | undefined;
    do {
      const page = await queries.ask('content.unit.list', {
        limit: 1000,
        ...(afterKey !== undefined && { afterKey }),
        repositoryVersion: { repositoryId: id, version: repository.latestVersion, membership: 'present' },
      });
      keys.push(...page.items.map((unit: CatalogUnit) => unit.key));
      afterKey = page.nextAfterKey;
    } while (afterKey !== undefined);
    return keys.sort();
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-oci-layout-'));
    exportRoot = join(dataDir, 'exports');
    mkdirSync(exportRoot);
    const settings = loadSettings(
      {
        WHARF_DATA_DIR: join(dataDir, 'data'),
        WHARF_REGISTRY_PORT: '0',
        WHARF_EXPORT_ROOT: exportRoot,
        WHARF_EXPORT_BUCKET: `${s3Bucket}/${exportPrefix}`,
        WHARF_S3_URL: s3Url,
        WHARF_S3_ACCESS_KEY: s3Credentials.accessKey,
        WHARF_S3_SECRET_KEY: s3Credentials.secretKey,
        WHARF_ADMIN_PASSWORD: randomBytes(12).toString('hex'),
        WHARF_SECRET_KEY: randomBytes(32).toString('base64'),
      },
      { bus: 'memory', eventStore: 'sqlite', blobStore: 'fs', httpPortVariable: 'X', httpPort: 0 },
    );
    app = await createProcessApplication(
      'test',
      settings,
      [TasksModule, ContentModule, PublicationModule, DistributionModule],
      false,
    );
    await app.init();
    queries = app.get(Queries);
    const blobs = app.get(BlobStore, { strict: false });
    for (const image of [ociImage, dockerImage, multiArch, signature]) {
      for (const blob of blobsOf(image)) {
        await blobs.put(Readable.from([blob.bytes]), blob.digest);
        await queries.ask('content.blob.record', { digest: blob.digest, size: blob.size });
      }
      for (const item of manifestsOf(image)) {
        await queries.ask('content.manifest.record', {
          bytes: Buffer.from(item.bytes).toString('base64'),
          mediaType: item.mediaType,
        });
      }
    }
    repositoryId = (await queries.ask('content.repository.create', { name: 'exported' })).id;
    await queries.ask('content.version.modify', {
      repositoryId,
      add: [ociImage, dockerImage, multiArch, signature].map((m) => manifestKey(m.digest)),
    });
    for (const [tag, manifest] of Object.entries(tags)) {
      const written = await queries.ask('content.version.tag', {
        repositoryId,
        tag,
        digest: manifest.digest,
      });
      version = written.version.number;
    }
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes a layout directory skopeo reads, every tag on its digest', async () => {
    const directory = await exportVersion({ path: 'site-a/layout', format: 'directory' });
    // skopeo 1.9 looks tags up among OCI-typed descriptors only; a Docker-typed manifest is kept verbatim
    // (its digest unchanged) for Wharf's import and for readers that take any media type.
    for (const tag of ['app', 'multi']) {
      const { stdout } = await run(skopeo, ['inspect', '--raw', `oci:${directory}:${tag}`]);
      expect(sha256(stdout)).toBe(tags[tag]!.digest);
    }
    const index = JSON.parse(readFileSync(join(directory, 'index.json'), 'utf8')) as {
      manifests: { digest: string; mediaType: string; annotations?: Record<string, string> }[];
    };
    expect(index.manifests).toContainEqual({
      mediaType: dockerImage.mediaType,
      digest: dockerImage.digest,
      size: dockerImage.size,
      annotations: { 'org.opencontainers.image.ref.name': 'legacy' },
    });
    const { stdout } = await run(skopeo, ['inspect', `oci:${directory}:app`]);
    expect(JSON.parse(stdout)).toMatchObject({ Digest: ociImage.digest });
    const blobs = readdirSync(join(directory, 'blobs', 'sha256'));
    expect(blobs).toContain(signature.digest.slice('sha256:'.length));
  });

  it('writes an oci-archive skopeo copies from, digests unchanged', async () => {
    const archive = await exportVersion({ path: 'site-a/app.tar', format: 'oci-archive' });
    const out = join(dataDir, 'skopeo-dir');
    await run(skopeo, ['copy', `oci-archive:${archive}:app`, `dir:${out}`]);
    expect(sha256(readFileSync(join(out, 'manifest.json')))).toBe(ociImage.digest);
    for (const layer of ociImage.layers) {
      expect(sha256(readFileSync(join(out, layer.digest.slice('sha256:'.length))))).toBe(layer.digest);
    }
  });

  it('imports an oci-archive as one new version holding the same tags, manifests and blobs', async () => {
    const { repositoryId: imported, task } = await importInto('imported-archive', {
      path: 'site-a/app.tar',
      format: 'oci-archive',
    });
    expect(task.state, task.error?.description).toBe('completed');
    expect(task.createdResources).toEqual([expect.stringMatching(new RegExp(`${imported}/versions/1/$`))]);
    expect(await unitKeys(imported)).toEqual(await unitKeys(repositoryId));
  });

  it('imports a layout directory the same way', async () => {
    const { repositoryId: imported, task } = await importInto('imported-directory', {
      path: 'site-a/layout',
      format: 'directory',
    });
    expect(task.state, task.error?.description).toBe('completed');
    expect(await unitKeys(imported)).toEqual(await unitKeys(repositoryId));
  });

  it('splits an archive into parts with a SHA256SUMS import verifies, and refuses a corrupt part', async () => {
    const directory = await exportVersion({ path: 'usb/app', format: 'oci-archive', chunkSize: 4096 });
    const parts = readdirSync(directory).filter((name) => name.startsWith('archive.tar.'));
    expect(parts.length).toBeGreaterThan(3);
    await run('sha256sum', ['-c', 'SHA256SUMS'], { cwd: directory });
    const whole = Buffer.concat(parts.sort().map((part) => readFileSync(join(directory, part))));
    writeFileSync(join(exportRoot, 'usb-joined.tar'), whole);
    const { stdout } = await run(skopeo, [
      'inspect',
      '--raw',
      `oci-archive:${join(exportRoot, 'usb-joined.tar')}:multi`,
    ]);
    expect(sha256(stdout)).toBe(multiArch.digest);

    const good = await importInto('imported-chunks', { path: 'usb/app', format: 'oci-archive' });
    expect(good.task.state, good.task.error?.description).toBe('completed');
    expect(await unitKeys(good.repositoryId)).toEqual(await unitKeys(repositoryId));

    const second = join(directory, parts[1]!);
    const bytes = readFileSync(second);
    bytes[100] ^= 0xff;
    writeFileSync(second, bytes);
    const bad = await importInto('imported-corrupt', { path: 'usb/app', format: 'oci-archive' });
    expect(bad.task.state).toBe('failed');
    expect(bad.task.error?.description).toMatch(
      /part archive\.tar\.001 .* has sha256 [0-9a-f]{64}, SHA256SUMS says/,
    );
    expect(await unitKeys(bad.repositoryId)).toEqual([]);
  });

  it('refuses paths outside the export root, through symbolic links too, and paths already taken', async () => {
    const refusal = async (path: string) => {
      const error = await queries
        .ask('replication.validate-export', { repositoryId, version, format: 'directory', path })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).toBeInstanceOf(RemoteError);
      return error as RemoteError & { details: Record<string, string[]> };
    };
    symlinkSync(tmpdir(), join(exportRoot, 'escape'));
    for (const path of ['../outside', '/tmp/outside', 'escape/inside-tmp']) {
      expect((await refusal(path)).details).toEqual({ path: ['The path must stay under the export root.'] });
    }
    expect((await refusal('site-a/layout')).details).toEqual({
      path: ['Something already exists at this path.'],
    });
  });

  describe('in the export bucket (storage s3)', () => {
    const keysUnder = async (key: string) => {
      const keys: string[] = [];
      for await (const item of inspector.listObjectsV2(s3Bucket, `${exportPrefix}/${key}`, true)) {
        if (item.name) keys.push(item.name.slice(exportPrefix.length + 1));
      }
      return keys.sort();
    };
    /** Copies objects under `key` into a local directory, as someone carrying the export away would. */
    const download = async (key: string, into: string) => {
      for (const name of await keysUnder(key)) {
        const file = join(into, name.slice(key.length));
        mkdirSync(join(file, '..'), { recursive: true });
        await pipeline(
          await inspector.getObject(s3Bucket, `${exportPrefix}/${name}`),
          createWriteStream(file),
        );
      }
    };

    it('writes a layout as objects under a prefix, skopeo reads a downloaded copy, import round-trips', async () => {
      await exportVersion({ path: 'site-b/layout', format: 'directory', storage: 's3' });
      const keys = await keysUnder('site-b/layout/');
      expect(keys).toContain('site-b/layout/index.json');
      expect(keys).toContain('site-b/layout/oci-layout');
      expect(keys).toContain(`site-b/layout/blobs/sha256/${signature.digest.slice('sha256:'.length)}`);
      const local = join(dataDir, 's3-layout');
      await download('site-b/layout', local);
      const { stdout } = await run(skopeo, ['inspect', '--raw', `oci:${local}:multi`]);
      expect(sha256(stdout)).toBe(multiArch.digest);

      const { repositoryId: imported, task } = await importInto('s3-imported-directory', {
        path: 'site-b/layout',
        format: 'directory',
        storage: 's3',
      });
      expect(task.state, task.error?.description).toBe('completed');
      expect(await unitKeys(imported)).toEqual(await unitKeys(repositoryId));
    });

    it('writes an oci-archive as one object skopeo copies from, and imports it with equal tags and digests', async () => {
      await exportVersion({ path: 'site-b/app.tar', format: 'oci-archive', storage: 's3' });
      expect(await keysUnder('site-b/app.tar')).toEqual(['site-b/app.tar']);
      const local = join(dataDir, 's3-app.tar');
      await download('site-b/app.tar', local);
      const out = join(dataDir, 's3-skopeo-dir');
      await run(skopeo, ['copy', `oci-archive:${local}:app`, `dir:${out}`]);
      expect(sha256(readFileSync(join(out, 'manifest.json')))).toBe(ociImage.digest);

      const { repositoryId: imported, task } = await importInto('s3-imported-archive', {
        path: 'site-b/app.tar',
        format: 'oci-archive',
        storage: 's3',
      });
      expect(task.state, task.error?.description).toBe('completed');
      expect(await unitKeys(imported)).toEqual(await unitKeys(repositoryId));
    });

    it('chunks an archive into objects with SHA256SUMS, imports it, and refuses it with a corrupt chunk', async () => {
      await exportVersion({ path: 'usb-b/app', format: 'oci-archive', chunkSize: 4096, storage: 's3' });
      const keys = await keysUnder('usb-b/app/');
      expect(keys).toContain('usb-b/app/SHA256SUMS');
      const parts = keys.filter((key) => key.startsWith('usb-b/app/archive.tar.'));
      expect(parts.length).toBeGreaterThan(3);
      const local = join(dataDir, 's3-usb');
      await download('usb-b/app', local);
      await run('sha256sum', ['-c', 'SHA256SUMS'], { cwd: local });

      const good = await importInto('s3-imported-chunks', {
        path: 'usb-b/app',
        format: 'oci-archive',
        storage: 's3',
      });
      expect(good.task.state, good.task.error?.description).toBe('completed');
      expect(await unitKeys(good.repositoryId)).toEqual(await unitKeys(repositoryId));

      const bytes = readFileSync(join(local, 'archive.tar.002'));
      bytes[10] ^= 0xff;
      await inspector.putObject(s3Bucket, `${exportPrefix}/usb-b/app/archive.tar.002`, bytes);
      const bad = await importInto('s3-imported-corrupt', {
        path: 'usb-b/app',
        format: 'oci-archive',
        storage: 's3',
      });
      expect(bad.task.state).toBe('failed');
      expect(bad.task.error?.description).toMatch(
        /part archive\.tar\.002 .* has sha256 [0-9a-f]{64}, SHA256SUMS says/,
      );
      expect(bad.task.error?.description).not.toContain(s3Credentials.secretKey);
      expect(await unitKeys(bad.repositoryId)).toEqual([]);
    });

    it('leaves nothing in the bucket when an export fails half way, and says which export failed', async () => {
      const broken = randomImage({ layers: 2 });
      const blobs = app.get(BlobStore, { strict: false });
      for (const blob of blobsOf(broken)) {
        await blobs.put(Readable.from([blob.bytes]), blob.digest);
        await queries.ask('content.blob.record', { digest: blob.digest, size: blob.size });
      }
      for (const item of manifestsOf(broken)) {
        await queries.ask('content.manifest.record', {
          bytes: Buffer.from(item.bytes).toString('base64'),
          mediaType: item.mediaType,
        });
      }
      const brokenId = (await queries.ask('content.repository.create', { name: 'broken' })).id;
      await queries.ask('content.version.modify', {
        repositoryId: brokenId,
        add: [manifestKey(broken.digest)],
      });
      const written = await queries.ask('content.version.tag', {
        repositoryId: brokenId,
        tag: 'latest',
        digest: broken.digest,
      });
      // The blob store lost a layer: the export meets it after writing other objects.
      const lost = broken.layers[1]!.digest;
      await blobs.delete(lost);
      for (const format of ['directory', 'oci-archive'] as const) {
        const path = `broken/${format}`;
        const payload = await queries.ask('replication.validate-export', {
          repositoryId: brokenId,
          version: written.version.number,
          format,
          path,
          storage: 's3',
        });
        const task = await settled(
          await queries.ask('tasks.dispatch', {
            name: REPLICATION_TASKS.export,
            worker: DISTRIBUTION_WORKER,
            payload,
            exclusiveResources: [],
          }),
        );
        expect(task.state).toBe('failed');
        expect(task.error?.description).toContain(`to ${path} failed`);
        expect(task.error?.description).toContain(lost);
        expect(await keysUnder('broken/')).toEqual([]);
      }
    });

    it('refuses keys already taken, keys with "..", and imports of keys holding nothing', async () => {
      const refusal = async (ask: () => Promise<unknown>) => {
        const error = await ask().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(RemoteError);
        return (error as RemoteError & { details: Record<string, string[]> }).details;
      };
      const exportTo = (path: string) => () =>
        queries.ask('replication.validate-export', {
          repositoryId,
          version,
          format: 'directory',
          path,
          storage: 's3',
        });
      await exportVersion({ path: 'taken/app.tar', format: 'oci-archive', storage: 's3' });
      expect(await refusal(exportTo('taken/app.tar'))).toEqual({
        path: ['Something already exists at this key in the export bucket.'],
      });
      expect(await refusal(exportTo('taken'))).toEqual({
        path: ['Something already exists at this key in the export bucket.'],
      });
      expect(Object.keys(await refusal(exportTo('../other-prefix')))).toEqual(['path']);
      expect(
        await refusal(() =>
          queries.ask('replication.validate-import', {
            repositoryId,
            format: 'oci-archive',
            path: 'nothing/here',
            storage: 's3',
          }),
        ),
      ).toEqual({ path: ['Nothing exists at this key in the export bucket.'] });
    });
  });
});
