import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  multiPlatformImage,
  pushImage,
  randomImage,
  requireBinary,
  startDockerRegistry,
  startRegistryFront,
  TEST_ADMIN_PASSWORD,
  type StartedDockerRegistry,
  type StartedRegistryFront,
} from '@wharf/testing';
import { eventually, startAllInOne, startMultiProcess, type WharfDeployment } from './wharf-deployments.js';

const run = promisify(execFile);
const REMOTES = '/pulp/api/v3/remotes/container/container/';
const REPOSITORIES = '/pulp/api/v3/repositories/container/container/';
const TARGETS = '/pulp/api/v3/replication-targets/';
// s3rver accepts any key pair; a distinctive secret shows whether it ever leaks into a response.
const s3SecretKey = `s3-secret-${randomUUID()}`;
const sha256 = (bytes: Buffer | string) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** A response body as the tests read it: fields looked up by name. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of many shapes, checked by expect()
type Json = any;

interface TaskJson {
  state: string;
  error: { description: string } | null;
  created_resources: string[];
  result: Record<string, unknown> | null;
}

const app = randomImage({ layers: 2 });
const multi = multiPlatformImage([
  { os: 'linux', architecture: 'amd64' },
  { os: 'linux', architecture: 'arm64', variant: 'v8' },
]);

/**
 * Push replication and OCI layout export/import through the REST API, in both runtime modes: content synced
 * from one docker-registry is pushed to another (htpasswd auth) through a front that counts requests, and
 * exported for skopeo and imported back.
 */
describe.each([
  ['all-in-one', startAllInOne],
  ['multi-process', startMultiProcess],
] as const)('replication and export through the REST API (%s)', (_mode, start) => {
  let wharf: WharfDeployment;
  let source: StartedDockerRegistry;
  let destination: StartedDockerRegistry;
  let front: StartedRegistryFront;
  let exportRoot: string;
  let repository: { pulp_href: string; latest_version_href: string };
  const skopeo = requireBinary('skopeo', 'skopeo');
  const bodies: string[] = [];

  const call = async (method: string, path: string, body?: unknown) => {
    const response = await wharf.api(path, {
      method,
      ...(body !== undefined && {
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      }),
    });
    const text = await response.text();
    bodies.push(text);
    return { status: response.status, json: text === '' ? undefined : (JSON.parse(text) as Json) };
  };
  const settled = async (accepted: { status: number; json: { task: string } }): Promise<TaskJson> => {
    expect(accepted.status, JSON.stringify(accepted.json)).toBe(202);
    return eventually(
      `task ${accepted.json.task}`,
      async () => {
        const task = (await call('GET', accepted.json.task)).json as TaskJson;
        return ['completed', 'failed', 'canceled'].includes(task.state) ? task : undefined;
      },
      30_000,
    );
  };
  const tagsOf = async (versionHref: string) => {
    const page = await call(
      'GET',
      `/pulp/api/v3/content/container/tags/?repository_version=${versionHref}&limit=100`,
    );
    return (page.json.results as { name: string; tagged_manifest: string }[])
      .map((tag) => `${tag.name} ${tag.tagged_manifest}`)
      .sort();
  };
  const latestVersion = async (href: string) => (await call('GET', href)).json.latest_version_href as string;

  beforeAll(async () => {
    exportRoot = mkdtempSync(join(tmpdir(), 'wharf-e2e-exports-'));
    wharf = await start({
      WHARF_EXPORT_ROOT: exportRoot,
      WHARF_EXPORT_BUCKET: `${process.env.WHARF_TEST_S3_BUCKET}/e2e-exports-${randomUUID()}`,
      WHARF_S3_URL: process.env.WHARF_TEST_S3_URL!,
      WHARF_S3_ACCESS_KEY: 'S3RVER',
      WHARF_S3_SECRET_KEY: s3SecretKey,
    });
    source = await startDockerRegistry();
    destination = await startDockerRegistry({ auth: 'htpasswd' });
    front = await startRegistryFront(destination);
    await pushImage(source, 'team/app', 'v1', app);
    await pushImage(source, 'team/app', 'multi', multi);
    const remote = await call('POST', REMOTES, {
      name: 'upstream',
      url: source.url,
      upstream_name: 'team/app',
      policy: 'immediate',
    });
    repository = (await call('POST', REPOSITORIES, { name: 'app', remote: remote.json.pulp_href })).json;
    const synced = await settled(await call('POST', `${repository.pulp_href}sync/`, {}));
    expect(synced.state, synced.error?.description).toBe('completed');
  }, 120_000);

  afterAll(async () => {
    await wharf?.stop();
    await front?.stop();
    await Promise.all([source?.stop(), destination?.stop()]);
    rmSync(exportRoot, { recursive: true, force: true });
  });

  it('pushes a repository to a target by hand; a second push sends no blob; credentials never come back', async () => {
    const created = await call('POST', TARGETS, {
      name: 'edge',
      url: front.url,
      path: 'edge/app',
      username: destination.username,
      password: destination.password,
      repository: repository.pulp_href,
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json).toMatchObject({
      path: 'edge/app',
      mirror: false,
      repository: repository.pulp_href,
      hidden_fields: [
        { name: 'username', is_set: true },
        { name: 'password', is_set: true },
      ],
    });
    const pushed = await settled(await call('POST', `${created.json.pulp_href}replicate/`, {}));
    expect(pushed.state, pushed.error?.description).toBe('completed');
    const creds = `${destination.username}:${destination.password}`;
    for (const [tag, image] of [
      ['v1', app],
      ['multi', multi],
    ] as const) {
      const { stdout } = await run(skopeo, [
        'inspect',
        '--raw',
        '--tls-verify=false',
        '--creds',
        creds,
        `docker://127.0.0.1:${destination.port}/edge/app:${tag}`,
      ]);
      expect(sha256(stdout)).toBe(image.digest);
    }

    const before = front.requests.length;
    const again = await settled(await call('POST', `${created.json.pulp_href}replicate/`, {}));
    expect(again.state).toBe('completed');
    expect(again.result).toMatchObject({ blobsPushed: 0, manifestsPushed: 0, tagsPushed: 0 });
    const writes = front.requests.slice(before).filter((r) => r.method !== 'GET' && r.method !== 'HEAD');
    expect(writes).toEqual([]);
    expect(bodies.join('\n')).not.toContain(destination.password);
  });

  it('pushes a repository to another Wharf registry, which then serves the same digests', async () => {
    const target = await call('POST', TARGETS, {
      name: 'another-wharf',
      url: wharf.registryUrl,
      path: 'edge/mirror',
      username: 'admin',
      password: TEST_ADMIN_PASSWORD,
      repository: repository.pulp_href,
    });
    expect(target.status, JSON.stringify(target.json)).toBe(201);
    const pushed = await settled(await call('POST', `${target.json.pulp_href}replicate/`, {}));
    expect(pushed.state, pushed.error?.description).toBe('completed');
    for (const [tag, image] of [
      ['v1', app],
      ['multi', multi],
    ] as const) {
      const { stdout } = await run(skopeo, [
        'inspect',
        '--raw',
        '--tls-verify=false',
        '--creds',
        `admin:${TEST_ADMIN_PASSWORD}`,
        `docker://${new URL(wharf.registryUrl).host}/edge/mirror:${tag}`,
      ]);
      expect(sha256(stdout)).toBe(image.digest);
    }
    expect(bodies.join('\n')).not.toContain(TEST_ADMIN_PASSWORD);
  });

  it('changes a target with PATCH, lists it by name and deletes it', async () => {
    const created = await call('POST', TARGETS, {
      name: 'short-lived',
      url: front.url,
      path: 'edge/short',
      repository: repository.pulp_href,
    });
    const href = created.json.pulp_href as string;
    const patched = await call('PATCH', href, { mirror: true, auto: true });
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ mirror: true, auto: true, path: 'edge/short' });
    const listed = await call('GET', `${TARGETS}?name=short-lived&offset=0&limit=1`);
    expect(listed.json).toMatchObject({ count: 1, results: [{ pulp_href: href, mirror: true }] });
    expect((await call('DELETE', href)).status).toBe(204);
    expect((await call('GET', href)).status).toBe(404);
  });

  it('refuses bad target fields with 400s naming them', async () => {
    const refused = await call('POST', TARGETS, { name: 'bad', url: 'ftp://x', path: 'Bad Path' });
    expect(refused.status).toBe(400);
    expect(Object.keys(refused.json).sort()).toEqual(['path', 'url']);
    const noRepository = await call('POST', TARGETS, {
      name: 'bad2',
      url: front.url,
      path: 'x',
      repository: '/pulp/api/v3/repositories/container/container/00000000-0000-4000-8000-000000000000/',
    });
    expect(noRepository.status).toBe(400);
    expect(noRepository.json.repository).toEqual([expect.stringContaining('does not exist')]);
  });

  it('exports the latest version as an oci-archive skopeo reads, and imports it with equal tags and digests', async () => {
    const exported = await settled(
      await call('POST', `${repository.pulp_href}oci_export/`, {
        path: 'site/app.tar',
        format: 'oci-archive',
      }),
    );
    expect(exported.state, exported.error?.description).toBe('completed');
    const out = join(exportRoot, 'skopeo-out');
    await run(skopeo, ['copy', `oci-archive:${join(exportRoot, 'site/app.tar')}:v1`, `dir:${out}`]);
    expect(sha256(readFileSync(join(out, 'manifest.json')))).toBe(app.digest);

    const outside = await call('POST', `${repository.pulp_href}oci_export/`, { path: '../escape.tar' });
    expect(outside.status).toBe(400);
    expect(outside.json).toEqual({ path: ['The path must stay under the export root.'] });

    const target = (await call('POST', REPOSITORIES, { name: 'air-gapped' })).json;
    const imported = await settled(
      await call('POST', `${target.pulp_href}oci_import/`, { path: 'site/app.tar' }),
    );
    expect(imported.state, imported.error?.description).toBe('completed');
    expect(imported.created_resources).toEqual([`${target.pulp_href}versions/1/`]);
    expect(await tagsOf(`${target.pulp_href}versions/1/`)).toEqual(
      await tagsOf(await latestVersion(repository.pulp_href)),
    );
  });

  it('exports into the export bucket and imports from it with equal tags and digests, credentials never shown', async () => {
    const exported = await settled(
      await call('POST', `${repository.pulp_href}oci_export/`, {
        path: 'site/app',
        format: 'oci-archive',
        chunk_size: 1048576,
        storage: 's3',
      }),
    );
    expect(exported.state, exported.error?.description).toBe('completed');

    const badStorage = await call('POST', `${repository.pulp_href}oci_export/`, {
      path: 'x',
      storage: 'ftp',
    });
    expect(badStorage.status).toBe(400);
    expect(badStorage.json).toEqual({ storage: ['Expected one of filesystem, s3.'] });
    const taken = await call('POST', `${repository.pulp_href}oci_export/`, {
      path: 'site/app',
      storage: 's3',
    });
    expect(taken.status).toBe(400);
    expect(taken.json).toEqual({ path: ['Something already exists at this key in the export bucket.'] });

    const target = (await call('POST', REPOSITORIES, { name: 'from-bucket' })).json;
    const imported = await settled(
      await call('POST', `${target.pulp_href}oci_import/`, { path: 'site/app', storage: 's3' }),
    );
    expect(imported.state, imported.error?.description).toBe('completed');
    expect(await tagsOf(`${target.pulp_href}versions/1/`)).toEqual(
      await tagsOf(await latestVersion(repository.pulp_href)),
    );
    expect(bodies.join('\n')).not.toContain(s3SecretKey);
  });
});
