import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  blobsOf,
  dockerArchiveEntries,
  fixtureManifest,
  manifestsOf,
  multiPlatformImage,
  ociLayoutEntries,
  randomImage,
  requireBinary,
  tarArchive,
  writeOciLayout,
  type ArchiveEntry,
} from '@wharf/testing';
import { eventually, startAllInOne, startMultiProcess, type WharfDeployment } from './wharf-deployments.js';

const REPOSITORIES = '/pulp/api/v3/repositories/container/container/';
const DISTRIBUTIONS = '/pulp/api/v3/distributions/container/container/';
const ARTIFACTS = '/pulp/api/v3/artifacts/';
const UPLOADS = '/pulp/api/v3/uploads/';
const TAGS = '/pulp/api/v3/content/container/tags/';
const MANIFESTS = '/pulp/api/v3/content/container/manifests/';

type Json = Record<string, unknown>;
interface TaskJson {
  state: string;
  created_resources: string[];
  error: { description: string } | null;
}

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/**
 * Archives skopeo made (docker-archive with several tags, oci-archive with a multi-arch index) and a docker-save
 * style archive of several images, imported through the REST API of the all-in-one process; skopeo then pulls
 * them back from a distribution and the digests are compared with the archives'.
 */
describe('tarball import through the REST API (all-in-one)', () => {
  let wharf: WharfDeployment;
  let dir: string;
  let skopeoBinary: string;
  const run = promisify(execFile);
  const skopeo = (...args: string[]) => run(skopeoBinary, args, { timeout: 60_000 });
  const image = randomImage({ layers: 3 });
  const multi = multiPlatformImage([
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64', variant: 'v8' },
  ]);

  const json = async <T = Json>(response: Response, status: number): Promise<T> => {
    const body = await response.text();
    expect(response.status, body).toBe(status);
    return JSON.parse(body) as T;
  };
  const post = (path: string, body: unknown) =>
    wharf.api(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  const finished = (task: string) =>
    eventually(
      `task ${task}`,
      async () => {
        const state = await json<TaskJson>(await wharf.api(task), 200);
        return ['completed', 'failed', 'canceled'].includes(state.state) ? state : undefined;
      },
      60_000,
    );
  const repository = async (name: string) =>
    (await json(await post(REPOSITORIES, { name }), 201)).pulp_href as string;
  const importFile = async (repositoryHref: string, bytes: Uint8Array) => {
    const form = new FormData();
    form.set('file', new Blob([bytes]), 'archive.tar');
    const { task } = await json<{ task: string }>(
      await wharf.api(`${repositoryHref}import_tarball/`, { method: 'POST', body: form }),
      202,
    );
    return finished(task);
  };
  const distribute = async (repositoryHref: string, basePath: string) => {
    const { task } = await json<{ task: string }>(
      await post(DISTRIBUTIONS, {
        name: basePath.replace('/', '-'),
        base_path: basePath,
        repository: repositoryHref,
      }),
      202,
    );
    expect((await finished(task)).state).toBe('completed');
    return `docker://${wharf.registryUrl.replace('http://', '')}/${basePath}`;
  };
  const tagsOf = async (versionHref: string) => {
    const page = await json<{ results: { name: string; tagged_manifest: string }[] }>(
      await wharf.api(`${TAGS}?repository_version=${encodeURIComponent(versionHref)}&limit=100`),
      200,
    );
    return Object.fromEntries(
      page.results.map((t) => [t.name, t.tagged_manifest.slice(MANIFESTS.length, -1)]),
    );
  };
  const latestVersion = async (repositoryHref: string) =>
    (await json(await wharf.api(repositoryHref), 200)).latest_version_href as string;
  const rawManifest = async (reference: string) =>
    Buffer.from((await skopeo('inspect', '--raw', '--tls-verify=false', reference)).stdout, 'utf8');

  beforeAll(async () => {
    skopeoBinary = requireBinary('skopeo', 'skopeo');
    dir = mkdtempSync(join(tmpdir(), 'wharf-e2e-tarball-'));
    writeOciLayout(
      join(dir, 'layout'),
      ociLayoutEntries([
        { manifest: image, refName: 'v1' },
        { manifest: multi, refName: 'multi' },
      ]),
    );
    wharf = await startAllInOne();
  }, 60_000);

  afterAll(async () => {
    await wharf?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('imports a docker-archive skopeo wrote, with both its tags, and serves the same layers and config', async () => {
    const archive = join(dir, 'docker.tar');
    await skopeo(
      'copy',
      `oci:${join(dir, 'layout')}:v1`,
      `docker-archive:${archive}:example/app:1.0`,
      '--additional-tag',
      'example/app:latest',
    );
    const href = await repository('from-docker-archive');

    const task = await importFile(href, readFileSync(archive));
    expect(task.state, task.error?.description).toBe('completed');
    expect(task.created_resources).toEqual([`${href}versions/1/`]);
    const tags = await tagsOf(`${href}versions/1/`);
    expect(Object.keys(tags).sort()).toEqual(['1.0', 'latest']);
    expect(tags['latest']).toBe(tags['1.0']);

    const source = await distribute(href, 'imported/docker');
    const served = await rawManifest(`${source}:1.0`);
    expect(sha256(served)).toBe(tags['1.0']);
    // skopeo's own reading of the archive makes the same bytes, except that it calls every layer gzip'd
    // (containers/image does, whatever the bytes); Wharf names uncompressed layers for what they are (ADR 11).
    const skopeosView = (await rawManifest(`docker-archive:${archive}`))
      .toString('utf8')
      .replaceAll('rootfs.diff.tar.gzip', 'rootfs.diff.tar');
    expect(served.toString('utf8')).toBe(skopeosView);
    const manifest = JSON.parse(served.toString('utf8')) as {
      config: { digest: string };
      layers: { digest: string; mediaType: string }[];
    };
    // skopeo stores docker-archive layers uncompressed: the archive's layers are the image's diff_ids.
    expect(manifest.config.digest).toBe(image.config.digest);
    expect(manifest.layers.map((l) => l.digest)).toEqual(image.layers.map((l) => l.diffId));
    expect(new Set(manifest.layers.map((l) => l.mediaType))).toEqual(
      new Set(['application/vnd.docker.image.rootfs.diff.tar']),
    );

    // Pulled back into a new archive, every layer and the config are the bytes that were imported.
    const back = join(dir, 'back.tar');
    await skopeo('copy', '--src-tls-verify=false', `${source}:latest`, `docker-archive:${back}:again:1`);
    const pulled = JSON.parse((await run('tar', ['xOf', back, 'manifest.json'])).stdout) as {
      Config: string;
      Layers: string[];
    }[];
    const original = JSON.parse((await run('tar', ['xOf', archive, 'manifest.json'])).stdout) as {
      Config: string;
      Layers: string[];
    }[];
    expect(pulled[0]!.Config).toBe(original[0]!.Config);
    expect(pulled[0]!.Layers).toEqual(original[0]!.Layers);

    // The manifest is made the same way every time: importing the archive again changes nothing.
    const again = await importFile(href, readFileSync(archive));
    expect(again.state).toBe('completed');
    expect(again.created_resources).toEqual([]);
  }, 120_000);

  it('imports an oci-archive with a multi-arch index (skopeo --all) as its byte-exact manifests', async () => {
    const archive = join(dir, 'multi.tar');
    await skopeo('copy', '--all', `oci:${join(dir, 'layout')}:multi`, `oci-archive:${archive}:multi`);
    const href = await repository('from-oci-archive');
    // Sent as an artifact first (as after a chunked upload), then imported by its href.
    const form = new FormData();
    form.set('file', new Blob([readFileSync(archive)]), 'multi.tar');
    const artifact = await json(await wharf.api(ARTIFACTS, { method: 'POST', body: form }), 201);
    const { task } = await json<{ task: string }>(
      await post(`${href}import_tarball/`, { artifact: artifact.pulp_href }),
      202,
    );
    const done = await finished(task);
    expect(done.state, done.error?.description).toBe('completed');
    expect(await tagsOf(`${href}versions/1/`)).toEqual({ multi: multi.digest });

    const source = await distribute(href, 'imported/multi');
    const target = join(dir, 'pulled-multi');
    await skopeo('copy', '--all', '--src-tls-verify=false', `${source}:multi`, `oci:${target}:multi`);
    const layout = JSON.parse(readFileSync(join(target, 'index.json'), 'utf8')) as {
      manifests: { digest: string }[];
    };
    expect(layout.manifests.map((m) => m.digest)).toEqual([multi.digest]);
    for (const item of [...manifestsOf(multi), ...blobsOf(multi)]) {
      const stored = readFileSync(join(target, 'blobs', ...item.digest.split(':')));
      expect(stored.equals(Buffer.from(item.bytes)), item.digest).toBe(true);
    }
  }, 120_000);

  it('imports a docker-save style archive of several images, each tag on its image', async () => {
    const [a, b] = [randomImage({ format: 'docker' }), randomImage({ format: 'docker', layers: 1 })];
    const tar = await tarArchive(
      dockerArchiveEntries([
        { image: a, repoTags: ['team/a:1', 'team/a:stable'] },
        { image: b, repoTags: ['team/b:1-b'] },
      ]),
    );
    const href = await repository('from-docker-save');
    const task = await importFile(href, tar);
    expect(task.state, task.error?.description).toBe('completed');
    const tags = await tagsOf(`${href}versions/1/`);
    expect(Object.keys(tags).sort()).toEqual(['1', '1-b', 'stable']);

    const source = await distribute(href, 'imported/save');
    for (const [tag, fixture] of [
      ['stable', a],
      ['1-b', b],
    ] as const) {
      const served = JSON.parse((await rawManifest(`${source}:${tag}`)).toString('utf8')) as {
        config: { digest: string };
        layers: { digest: string }[];
      };
      expect(served.config.digest).toBe(fixture.config.digest);
      expect(served.layers.map((l) => l.digest)).toEqual(fixture.layers.map((l) => l.digest));
    }
  }, 120_000);

  it('imports an archive sent in chunks as an upload, committing the upload in the same task', async () => {
    const image2 = randomImage({ format: 'docker' });
    const tar = await tarArchive(dockerArchiveEntries([{ image: image2, repoTags: ['chunked:1'] }]));
    const upload = await json(await post(UPLOADS, { size: tar.length }), 201);
    const third = Math.floor(tar.length / 3);
    const put = (start: number, end: number) =>
      wharf.api(upload.pulp_href as string, {
        method: 'PUT',
        headers: {
          'Content-Type': 'application/octet-stream',
          'Content-Range': `bytes ${start}-${end}/${tar.length}`,
        },
        body: tar.subarray(start, end + 1),
      });
    const href = await repository('from-upload');
    expect((await put(third, tar.length - 1)).status).toBe(200);
    // Not every byte yet: refused before any task runs.
    expect(await json(await post(`${href}import_tarball/`, { upload: upload.pulp_href }), 400)).toEqual({
      upload: [`The upload has ${tar.length - third} of its ${tar.length} bytes; send the rest first.`],
    });
    expect((await put(0, third - 1)).status).toBe(200);

    const { task } = await json<{ task: string }>(
      await post(`${href}import_tarball/`, { upload: upload.pulp_href }),
      202,
    );
    const done = await finished(task);
    expect(done.state, done.error?.description).toBe('completed');
    expect(done.created_resources).toEqual([
      expect.stringMatching(/^\/pulp\/api\/v3\/artifacts\/[\w-]+\/$/),
      `${href}versions/1/`,
    ]);
    const artifact = await json(await wharf.api(done.created_resources[0]!), 200);
    expect(artifact.sha256).toBe(sha256(tar).slice('sha256:'.length));
    expect((await wharf.api(upload.pulp_href as string)).status).toBe(404);
    expect(Object.keys(await tagsOf(`${href}versions/1/`))).toEqual(['1']);
  }, 60_000);

  it.each<[string, () => Promise<ArchiveEntry[]>, RegExp]>([
    [
      'a symbolic link out of the archive',
      async () => [
        ...ociLayoutEntries([{ manifest: randomImage(), refName: 'x' }]),
        { name: 'blobs/evil', type: 'symlink', linkname: '../../etc/passwd' },
      ],
      /entry "blobs\/evil": is a symbolic link to "..\/..\/etc\/passwd", outside the archive/,
    ],
    [
      'a blob whose bytes do not match its name',
      async () => {
        const image = randomImage();
        const layer = `blobs/sha256/${image.layers[0]!.digest.slice('sha256:'.length)}`;
        return ociLayoutEntries([{ manifest: image, refName: 'x' }]).map((entry) =>
          entry.name === layer ? { ...entry, bytes: Buffer.from('not the layer') } : entry,
        );
      },
      /entry "blobs\/sha256\/\w+": its content has digest sha256:\w+, not the one its name claims/,
    ],
    [
      'a manifest over 4 MiB',
      async () => {
        const big = randomImage({ annotations: { padding: 'x'.repeat(4 * 1024 * 1024) } });
        return ociLayoutEntries([{ manifest: big, refName: 'big' }]);
      },
      /entry "blobs\/sha256\/\w+": 4\d{6} bytes is over the 4194304-byte limit/,
    ],
    [
      'JSON that is not a manifest',
      async () => ociLayoutEntries([{ manifest: fixtureManifest({ hello: 'world' }), refName: 'x' }]),
      /entry "blobs\/sha256\/\w+": is not a valid manifest/,
    ],
    [
      "an entry with '..'",
      async () => [
        { name: '../escape', bytes: Buffer.from('x') },
        ...ociLayoutEntries([{ manifest: randomImage(), refName: 'x' }]),
      ],
      /entry "..\/escape": paths with '..' are not allowed/,
    ],
    [
      'a manifest.json naming a missing layer',
      async () =>
        dockerArchiveEntries([{ image: randomImage({ format: 'docker' }), repoTags: ['a:1'] }]).filter(
          (entry) => !entry.name.endsWith('layer.tar'),
        ),
      /manifest.json image 1 Layers\[0\] names ".*", which the archive does not hold/,
    ],
  ])(
    'fails the task on %s, naming the entry, and makes no version',
    async (_case, entries, message) => {
      const href = await repository(`refused-${Math.random().toString(36).slice(2)}`);
      const task = await importFile(href, await tarArchive(await entries()));
      expect(task.state).toBe('failed');
      expect(task.error?.description).toMatch(message);
      expect(task.error?.description).toMatch(
        /^tarball \/pulp\/api\/v3\/artifacts\/[\w-]+\/ \(sha256:\w+\): /,
      );
      expect(await latestVersion(href)).toBe(`${href}versions/0/`);
    },
    60_000,
  );

  it('answers 400 without an archive and 404 for an unknown repository', async () => {
    const href = await repository('no-archive');
    expect(await json(await post(`${href}import_tarball/`, {}), 400)).toEqual({
      artifact: ['Give an artifact or an upload, or send the file as `file`.'],
    });
    expect(
      await json(
        await post(`${href}import_tarball/`, {
          artifact: `${ARTIFACTS}00000000-0000-4000-8000-000000000000/`,
        }),
        400,
      ),
    ).toEqual({
      artifact: ['Invalid hyperlink - Object does not exist.'],
    });
    const unknown = `${REPOSITORIES}00000000-0000-4000-8000-000000000000/import_tarball/`;
    expect((await post(unknown, { artifact: `${ARTIFACTS}x/` })).status).toBe(404);
  });
});

/** The same import where every service is its own process: the archive in S3, the task over NATS. */
describe('tarball import through the REST API (multi-process)', () => {
  let wharf: WharfDeployment;

  beforeAll(async () => {
    wharf = await startMultiProcess();
  }, 120_000);

  afterAll(async () => {
    await wharf?.stop();
  });

  it('imports an oci-archive sent as a file into one tagged version', async () => {
    const index = multiPlatformImage([
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 's390x' },
    ]);
    const tar = await tarArchive(ociLayoutEntries([{ manifest: index, refName: 'v2' }]));
    const created = await wharf.api(REPOSITORIES, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'multi-process-import' }),
    });
    const href = ((await created.json()) as Json).pulp_href as string;
    const form = new FormData();
    form.set('file', new Blob([tar]), 'archive.tar');
    const posted = await wharf.api(`${href}import_tarball/`, { method: 'POST', body: form });
    expect(posted.status).toBe(202);
    const { task } = (await posted.json()) as { task: string };
    const done = await eventually(
      `task ${task}`,
      async () => {
        const state = (await (await wharf.api(task)).json()) as TaskJson;
        return ['completed', 'failed', 'canceled'].includes(state.state) ? state : undefined;
      },
      60_000,
    );
    expect(done.state, done.error?.description).toBe('completed');
    expect(done.created_resources).toEqual([`${href}versions/1/`]);
    const tags = (await (
      await wharf.api(`${TAGS}?repository_version=${encodeURIComponent(`${href}versions/1/`)}`)
    ).json()) as { results: { name: string; tagged_manifest: string }[] };
    expect(tags.results.map((t) => [t.name, t.tagged_manifest])).toEqual([
      ['v2', `${MANIFESTS}${index.digest}/`],
    ]);
  }, 120_000);
});
