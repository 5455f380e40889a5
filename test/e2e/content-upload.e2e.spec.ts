import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobsOf, imageIndex, manifestsOf, randomImage, type FixtureManifest } from '@wharf/testing';
import { eventually, startAllInOne, startMultiProcess, type WharfDeployment } from './wharf-deployments.js';

const REPOSITORIES = '/pulp/api/v3/repositories/container/container/';
const ARTIFACTS = '/pulp/api/v3/artifacts/';
const BLOBS = '/pulp/api/v3/content/container/blobs/';
const MANIFESTS = '/pulp/api/v3/content/container/manifests/';

interface TaskJson {
  state: string;
  created_resources: string[];
  error: { description: string } | null;
}

type ContentSummary = { present: Record<string, { count: number; href: string }> };

/**
 * Content from uploaded files, the way Pulp's clients push an image without a registry: every file becomes an
 * artifact, each artifact a blob or manifest (a task on the upload worker), the manifest landing in a
 * repository as a new, tagged version.
 */
describe.each([
  ['all-in-one', startAllInOne],
  ['multi-process', startMultiProcess],
] as const)('content from artifacts through the REST API (%s)', (_mode, start) => {
  let wharf: WharfDeployment;

  const json = async <T>(response: Response, status: number): Promise<T> => {
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
  const finished = (taskHref: string) =>
    eventually(
      `task ${taskHref} to finish`,
      async () => {
        const task = await json<TaskJson>(await wharf.api(taskHref), 200);
        return ['completed', 'failed', 'canceled'].includes(task.state) ? task : undefined;
      },
      20_000,
    );
  const runTask = async (path: string, body: unknown) =>
    finished((await json<{ task: string }>(await post(path, body), 202)).task);

  async function uploadArtifact(bytes: Uint8Array): Promise<string> {
    const form = new FormData();
    form.set('file', new Blob([bytes]), 'file');
    const artifact = await json<{ pulp_href: string }>(
      await wharf.api(ARTIFACTS, { method: 'POST', body: form }),
      201,
    );
    return artifact.pulp_href;
  }

  async function createBlobs(manifest: FixtureManifest): Promise<void> {
    for (const blob of blobsOf(manifest)) {
      const task = await runTask(BLOBS, { artifact: await uploadArtifact(blob.bytes) });
      expect(task.state, task.error?.description).toBe('completed');
      expect(task.created_resources).toEqual([`${BLOBS}${blob.digest}/`]);
    }
  }

  async function createRepository(name: string): Promise<string> {
    return (await json<{ pulp_href: string }>(await post(REPOSITORIES, { name }), 201)).pulp_href;
  }

  async function presentIn(versionHref: string): Promise<ContentSummary['present']> {
    const version = await json<{ content_summary: ContentSummary }>(await wharf.api(versionHref), 200);
    return version.content_summary.present;
  }

  async function latestVersionOf(repositoryHref: string): Promise<string> {
    return (await json<{ latest_version_href: string }>(await wharf.api(repositoryHref), 200))
      .latest_version_href;
  }

  beforeAll(async () => {
    wharf = await start();
  }, 120_000);

  afterAll(async () => {
    await wharf?.stop();
  });

  it('creates blobs, then a manifest added to a repository as a new tagged version', async () => {
    const image = randomImage({ layers: 2 });
    await createBlobs(image);
    const repository = await createRepository('uploaded-image');

    const task = await runTask(MANIFESTS, {
      artifact: await uploadArtifact(image.bytes),
      repository,
      tag: 'v1',
    });

    expect(task.state, task.error?.description).toBe('completed');
    expect(task.created_resources).toEqual([`${MANIFESTS}${image.digest}/`, `${repository}versions/1/`]);
    const present = await presentIn(`${repository}versions/1/`);
    expect(present['container.manifest']!.count).toBe(1);
    expect(present['container.blob']!.count).toBe(3); // config + 2 layers
    const tags = await json<{ results: { name: string; tagged_manifest: string }[] }>(
      await wharf.api(present['container.tag']!.href),
      200,
    );
    expect(tags.results).toEqual([
      expect.objectContaining({ name: 'v1', tagged_manifest: `${MANIFESTS}${image.digest}/` }),
    ]);
  });

  it('creates an index over manifests sent as files, with everything it lists in the new version', async () => {
    const index = imageIndex([randomImage({ layers: 1 }), randomImage({ layers: 1 })]);
    await createBlobs(index);
    for (const child of manifestsOf(index).filter((manifest) => manifest !== index)) {
      const form = new FormData();
      form.set('file', new Blob([child.bytes]), 'manifest.json');
      const { task } = await json<{ task: string }>(
        await wharf.api(MANIFESTS, { method: 'POST', body: form }),
        202,
      );
      const done = await finished(task);
      expect(done.state, done.error?.description).toBe('completed');
      expect(done.created_resources).toEqual([`${MANIFESTS}${child.digest}/`]);
    }
    const repository = await createRepository('uploaded-index');

    const task = await runTask(MANIFESTS, {
      artifact: await uploadArtifact(index.bytes),
      repository,
      tag: 'latest',
    });

    expect(task.state, task.error?.description).toBe('completed');
    const present = await presentIn(`${repository}versions/1/`);
    expect(present['container.manifest']!.count).toBe(3);
    expect(present['container.blob']!.count).toBe(4); // a config and a layer per image
    expect(present['container.tag']!.count).toBe(1);
  });

  it('fails a manifest whose layer does not exist, naming the layer, and leaves the repository alone', async () => {
    const image = randomImage({ layers: 2 });
    const missingLayer = image.layers[1]!;
    for (const blob of blobsOf(image).filter((blob) => blob.digest !== missingLayer.digest)) {
      expect((await runTask(BLOBS, { artifact: await uploadArtifact(blob.bytes) })).state).toBe('completed');
    }
    const repository = await createRepository('incomplete-image');
    const artifact = await uploadArtifact(image.bytes);

    const task = await runTask(MANIFESTS, { artifact, repository, tag: 'v1' });

    expect(task.state).toBe('failed');
    expect(task.error?.description).toContain(artifact);
    expect(task.error?.description).toContain(`blob ${missingLayer.digest}`);
    expect(await latestVersionOf(repository)).toBe(`${repository}versions/0/`);
    const found = await json<{ count: number }>(await wharf.api(`${MANIFESTS}?digest=${image.digest}`), 200);
    expect(found.count).toBe(0);
  });

  it.each([
    ['JSON that is not a manifest', { hello: 'world' }, 'schemaVersion: missing'],
    [
      'a manifest of an unsupported media type',
      { schemaVersion: 2, mediaType: 'application/x-not-an-image' },
      'unsupported manifest media type',
    ],
  ])('fails %s, naming the artifact and the cause', async (_case, document, cause) => {
    const repository = await createRepository(`refused-${cause.length}`);
    const artifact = await uploadArtifact(Buffer.from(JSON.stringify(document)));

    const task = await runTask(MANIFESTS, { artifact, repository });

    expect(task.state).toBe('failed');
    expect(task.error?.description).toContain(artifact);
    expect(task.error?.description).toContain(`is not a valid manifest: `);
    expect(task.error?.description).toContain(cause);
    expect(await latestVersionOf(repository)).toBe(`${repository}versions/0/`);
  });

  it('fails content for a repository that does not exist, recording nothing', async () => {
    const bytes = Buffer.from(`a blob for nowhere ${Math.random()}`);
    const artifact = await uploadArtifact(bytes);
    const nowhere = `${REPOSITORIES}00000000-0000-4000-8000-000000000000/`;

    const task = await runTask(BLOBS, { artifact, repository: nowhere });

    expect(task.state).toBe('failed');
    expect(task.error?.description).toContain(artifact);
    expect(task.error?.description).toContain(`repository ${nowhere} does not exist`);
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const found = await json<{ count: number }>(await wharf.api(`${BLOBS}?digest=${digest}`), 200);
    expect(found.count).toBe(0);
  });

  it('refuses an unknown artifact and a tag without a repository before queueing anything', async () => {
    const unknown = await post(MANIFESTS, { artifact: `${ARTIFACTS}00000000-0000-4000-8000-000000000000/` });
    expect(await json<Record<string, string[]>>(unknown, 400)).toEqual({
      artifact: ['Invalid hyperlink - Object does not exist.'],
    });
    const artifact = await uploadArtifact(randomImage().bytes);
    const untargeted = await post(MANIFESTS, { artifact, tag: 'v1' });
    expect(await json<Record<string, string[]>>(untargeted, 400)).toHaveProperty('tag');
  });
});
