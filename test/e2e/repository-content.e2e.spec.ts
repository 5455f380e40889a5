import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { NatsBus } from '@wharf/bus-nats';
import { S3BlobStore } from '@wharf/blob-store-s3';
import { blobsOf, manifestsOf, imageIndex, randomImage, type FixtureManifest } from '@wharf/testing';
import { eventually, startMultiProcess, type WharfDeployment } from './wharf-deployments.js';

const REPOSITORIES = '/pulp/api/v3/repositories/container/container/';

/**
 * Repository content through the REST API, end to end across processes: content arrives the way sync and
 * upload will bring it (bytes into S3, units recorded with the content service over NATS); the client then
 * tags, copies, removes and rolls back through the gateway, each a task on the content worker.
 */
describe('repository versions through the REST API (multi-process)', () => {
  let wharf: WharfDeployment;
  let bus: NatsBus;
  const image = randomImage({ layers: 2 });
  const index = imageIndex([randomImage({ layers: 1 }), randomImage({ layers: 1 })]);

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
  const finished = async (taskHref: string) =>
    eventually(`task ${taskHref} to finish`, async () => {
      const task = await json<{ state: string; error: unknown; created_resources: string[] }>(
        await wharf.api(taskHref),
        200,
      );
      return ['completed', 'failed', 'canceled'].includes(task.state) ? task : undefined;
    });
  const runTask = async (path: string, body: unknown) => {
    const { task } = await json<{ task: string }>(await post(path, body), 202);
    return finished(task);
  };

  /** The services' bucket, as another service sees it. */
  function bucket(): S3BlobStore {
    const env = wharf.serviceEnv!;
    return new S3BlobStore({
      endPoint: env.WHARF_S3_URL!,
      accessKey: env.WHARF_S3_ACCESS_KEY!,
      secretKey: env.WHARF_S3_SECRET_KEY!,
      bucket: env.WHARF_S3_BUCKET!,
    });
  }

  async function record(manifest: FixtureManifest): Promise<void> {
    const blobs = bucket();
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
    await blobs.close();
  }

  beforeAll(async () => {
    wharf = await startMultiProcess();
    bus = await NatsBus.connect({
      servers: wharf.serviceEnv!.NATS_URL!,
      name: 'e2e-content-source',
      streamPrefix: wharf.serviceEnv!.WHARF_NATS_STREAM_PREFIX!,
    });
    await record(image);
    await record(index);
  }, 120_000);

  afterAll(async () => {
    await bus?.close();
    await wharf?.stop();
  });

  it('tags, copies, diffs, removes and rolls back, one version per change', async () => {
    const repo = await json<{ pulp_href: string; versions_href: string }>(
      await post(REPOSITORIES, { name: 'app' }),
      201,
    );
    const tagged = await runTask(`${repo.pulp_href}add/`, {
      content_units: [`/pulp/api/v3/content/container/manifests/${image.digest}/`],
    });
    expect(tagged.state).toBe('completed');
    expect(tagged.created_resources).toEqual([`${repo.pulp_href}versions/1/`]);

    const manifest = await json<{ blobs: string[]; config_blob: string; media_type: string }>(
      await wharf.api(`/pulp/api/v3/content/container/manifests/${image.digest}/`),
      200,
    );
    expect(manifest.media_type).toBe(image.mediaType);
    expect(manifest.config_blob).toBe(`/pulp/api/v3/content/container/blobs/${image.config.digest}/`);
    expect([...manifest.blobs].sort()).toEqual(
      image.layers.map((layer) => `/pulp/api/v3/content/container/blobs/${layer.digest}/`).sort(),
    );

    const tag = await runTask(`${repo.pulp_href}tag/`, { tag: 'v1', digest: image.digest });
    expect(tag.created_resources).toEqual([`${repo.pulp_href}versions/2/`]);

    const version2 = await json<{
      content_summary: { present: Record<string, { count: number; href: string }> };
    }>(await wharf.api(`${repo.pulp_href}versions/2/`), 200);
    expect(version2.content_summary.present['container.manifest']!.count).toBe(1);
    expect(version2.content_summary.present['container.blob']!.count).toBe(3); // config + 2 layers
    expect(version2.content_summary.present['container.tag']!.count).toBe(1);
    const tags = await json<{ results: { name: string; tagged_manifest: string }[] }>(
      await wharf.api(version2.content_summary.present['container.tag']!.href),
      200,
    );
    expect(tags.results).toEqual([
      expect.objectContaining({
        name: 'v1',
        tagged_manifest: `/pulp/api/v3/content/container/manifests/${image.digest}/`,
      }),
    ]);

    // copy the tag into a second repository: it brings its manifest and blobs
    const mirror = await json<{ pulp_href: string }>(await post(REPOSITORIES, { name: 'app-mirror' }), 201);
    const copied = await runTask(`${mirror.pulp_href}copy_tags/`, {
      source_repository: repo.pulp_href,
      names: ['v1'],
    });
    expect(copied.state).toBe('completed');
    const mirrorV1 = await json<{ content_summary: { present: Record<string, { count: number }> } }>(
      await wharf.api(`${mirror.pulp_href}versions/1/`),
      200,
    );
    expect(mirrorV1.content_summary.present['container.blob']!.count).toBe(3);

    // a manifest list brings its manifests; the diff says so
    await runTask(`${repo.pulp_href}add/`, {
      content_units: [`/pulp/api/v3/content/container/manifests/${index.digest}/`],
    });
    const diff = await json<{ added: Record<string, string[]> }>(
      await wharf.api(`${repo.pulp_href}versions/3/diff/?base_version=2`),
      200,
    );
    expect(diff.added['container.manifest']).toHaveLength(3);

    // remove everything, then roll back to version 2
    const emptied = await runTask(`${repo.pulp_href}remove/`, { content_units: ['*'] });
    expect(emptied.created_resources).toEqual([`${repo.pulp_href}versions/4/`]);
    const rolledBack = await runTask(`${repo.pulp_href}rollback/`, { version: 2 });
    expect(rolledBack.created_resources).toEqual([`${repo.pulp_href}versions/5/`]);
    const version5 = await json<{ content_summary: { present: Record<string, { count: number }> } }>(
      await wharf.api(`${repo.pulp_href}versions/5/`),
      200,
    );
    expect(version5.content_summary.present).toEqual({
      'container.blob': expect.objectContaining({ count: 3 }),
      'container.manifest': expect.objectContaining({ count: 1 }),
      'container.tag': expect.objectContaining({ count: 1 }),
    });
    const versions = await json<{ count: number }>(await wharf.api(repo.versions_href), 200);
    expect(versions.count).toBe(6);
  }, 90_000);

  it('fails a task clearly, without a new version, for a tag on a manifest not in the repository', async () => {
    const repo = await json<{ pulp_href: string }>(await post(REPOSITORIES, { name: 'strict' }), 201);
    const task = await runTask(`${repo.pulp_href}tag/`, { tag: 'v1', digest: image.digest });
    expect(task.state).toBe('failed');
    expect(JSON.stringify(task.error)).toContain(image.digest);
    const versions = await json<{ count: number }>(await wharf.api(`${repo.pulp_href}versions/`), 200);
    expect(versions.count).toBe(1);
  });

  it('cleans up orphans: content no version holds goes, bytes included', async () => {
    const orphan = randomImage({ layers: 1 });
    await record(orphan);
    const kept = await json<{ count: number }>(
      await wharf.api(`/pulp/api/v3/content/container/manifests/?digest=${orphan.digest}`),
      200,
    );
    expect(kept.count).toBe(1);
    const young = await runTask('/pulp/api/v3/orphans/cleanup/', {});
    expect(young.state).toBe('completed');
    expect((await wharf.api(`/pulp/api/v3/content/container/manifests/${orphan.digest}/`)).status).toBe(200);

    const cleanup = await runTask('/pulp/api/v3/orphans/cleanup/', { orphan_protection_time: 0 });
    expect(cleanup.state).toBe('completed');
    expect((await wharf.api(`/pulp/api/v3/content/container/manifests/${orphan.digest}/`)).status).toBe(404);
    const blobs = bucket();
    expect(await blobs.stat(orphan.layers[0]!.digest)).toBeUndefined();
    expect(await blobs.stat(image.layers[0]!.digest)).toBeDefined();
    await blobs.close();
    // content that a version still holds survives
    expect((await wharf.api(`/pulp/api/v3/content/container/manifests/${image.digest}/`)).status).toBe(200);
  });

  it('answers 400 naming the field for an href of the wrong type', async () => {
    const repo = await json<{ pulp_href: string }>(await post(REPOSITORIES, { name: 'typed' }), 201);
    const response = await post(`${repo.pulp_href}add/`, { content_units: [repo.pulp_href] });
    expect(response.status).toBe(400);
    expect(Object.keys((await response.json()) as object)).toEqual(['content_units']);
  });

  it('updates and deletes a repository through tasks', async () => {
    const repo = await json<{ pulp_href: string }>(await post(REPOSITORIES, { name: 'short-lived' }), 201);
    const patch = await json<{ task: string }>(
      await wharf.api(repo.pulp_href, {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ description: 'for a while' }),
      }),
      202,
    );
    expect((await finished(patch.task)).state).toBe('completed');
    expect(((await (await wharf.api(repo.pulp_href)).json()) as { description: string }).description).toBe(
      'for a while',
    );
    const removal = await json<{ task: string }>(await wharf.api(repo.pulp_href, { method: 'DELETE' }), 202);
    expect((await finished(removal.task)).state).toBe('completed');
    expect((await wharf.api(repo.pulp_href)).status).toBe(404);
  });
});
