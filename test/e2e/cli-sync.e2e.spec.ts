import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  blobsOf,
  pushImage,
  randomImage,
  startDockerRegistry,
  type FixtureImage,
  type StartedDockerRegistry,
} from '@wharf/testing';
import { startAllInOne, type WharfDeployment } from './wharf-deployments.js';
import { cliFor, type Cli } from './cli-runner.js';

interface TaskJson {
  pulp_href: string;
  state: string;
  created_resources: string[];
  progress_reports: { code: string; done: number; state: string }[];
}

interface TagJson {
  name: string;
  pulp_href: string;
  tagged_manifest: string;
}

interface ManifestJson {
  digest: string;
  pulp_href: string;
}

/** Syncs from Debian's docker-registry through the CLI, then reshapes the synced content with it. */
describe('wharf CLI: sync, content and repository versions', () => {
  let wharf: WharfDeployment;
  let registry: StartedDockerRegistry;
  let cli: Cli;
  const images: Record<string, FixtureImage> = {};

  const tagNames = async (repository: string, version?: number) =>
    (
      await cli.json<TagJson[]>([
        'content',
        'tags',
        '--repository',
        repository,
        ...(version === undefined ? [] : ['--version', String(version)]),
      ])
    )
      .map((tag) => tag.name)
      .sort();
  const manifestDigests = async (repository: string) =>
    (await cli.json<ManifestJson[]>(['content', 'manifests', '--repository', repository]))
      .map((m) => m.digest)
      .sort();
  const latestNumber = async (repository: string) =>
    (await cli.json<{ number: number }>(['repository', 'version', 'show', repository])).number;

  beforeAll(async () => {
    [wharf, registry] = await Promise.all([startAllInOne(), startDockerRegistry({ auth: 'none' })]);
    cli = cliFor(wharf.apiUrl);
    // Layers large enough that the download is seen in flight on the progress bar.
    images.v1 = randomImage({ layers: 3, layerSize: 4 * 1024 * 1024 });
    images.v2 = randomImage({ layers: 1, format: 'docker' });
    for (const [tag, image] of Object.entries(images)) await pushImage(registry, 'team/app', tag, image);
    const remote = await cli.run([
      'remote',
      'create',
      'upstream',
      '--remote-url',
      registry.url,
      '--upstream-name',
      'team/app',
    ]);
    expect(remote.code, remote.stderr).toBe(0);
    const repository = await cli.run(['repository', 'create', 'app', '--remote', 'upstream']);
    expect(repository.code, repository.stderr).toBe(0);
  }, 90_000);

  afterAll(async () => {
    cli?.cleanup();
    await registry?.stop();
    await wharf?.stop();
  });

  it('shows a live progress bar in a terminal and ends with a one-line summary', async () => {
    const synced = await cli.runInTerminal(['sync', 'app']);
    expect(synced.code, synced.stdout).toBe(0);
    // Redrawn in place: carriage return, bar, percentage, the stage at work.
    expect(synced.stdout).toMatch(
      /\r\[[#-]{30}\] \d+% (Listing tags|Downloading \w+|Associating content) \d+/,
    );
    expect(synced.stdout).toMatch(/\r\[#{30}\] 100% /);
    const blobs = new Set(Object.values(images).flatMap((image) => blobsOf(image).map((b) => b.digest))).size;
    const summary = synced.stdout.split(/\r?\n/).find((line) => line.startsWith('Sync completed'));
    expect(summary).toMatch(
      new RegExp(
        `^Sync completed in \\d+\\.\\ds: tags 2, manifests 2, blobs ${blobs}, 12\\.\\d MiB, content \\d+; ` +
          `created /pulp/api/v3/repositories/container/container/[0-9a-f-]+/versions/1/$`,
      ),
    );
    expect(await tagNames('app')).toEqual(['v1', 'v2']);
  });

  it('draws no bar when not on a terminal, and prints the finished task with --json', async () => {
    const again = await cli.run(['--json', 'sync', 'app']);
    expect(again.code).toBe(0);
    expect(again.stderr).toBe('');
    const task = JSON.parse(again.stdout) as TaskJson;
    expect(task.state).toBe('completed');
    expect(task.created_resources).toEqual([]);
    expect(task.progress_reports.find((r) => r.code === 'sync.listing.tags')?.done).toBe(2);
  });

  it('lists content of a repository version as tables and JSON', async () => {
    const table = await cli.run(['content', 'tags', '--repository', 'app']);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+MANIFEST\s+HREF$/);
    expect(table.stdout).toMatch(
      /^v1\s+\/pulp\/api\/v3\/content\/container\/manifests\/\S+\s+\/pulp\/api\/v3\/content\/container\/tags\//m,
    );
    expect(await manifestDigests('app')).toEqual([images.v1!.digest, images.v2!.digest].sort());
    const blobs = await cli.json<{ digest: string }[]>([
      'content',
      'blobs',
      '--repository',
      'app',
      '--version',
      '1',
    ]);
    expect(blobs.map((b) => b.digest).sort()).toEqual(
      [...new Set(Object.values(images).flatMap((image) => blobsOf(image).map((b) => b.digest)))].sort(),
    );
    const one = await cli.json<ManifestJson[]>(['content', 'manifests', '--digest', images.v2!.digest]);
    expect(one).toHaveLength(1);
    expect((await cli.json<ManifestJson>(['content', 'show', one[0]!.pulp_href])).digest).toBe(
      images.v2!.digest,
    );
  });

  it('tags, untags, diffs, rolls back and deletes versions', async () => {
    expect((await cli.run(['repository', 'tag', 'app', 'stable', images.v1!.digest])).code).toBe(0);
    expect(await latestNumber('app')).toBe(2);
    expect(await tagNames('app')).toEqual(['stable', 'v1', 'v2']);

    const diff = await cli.run(['repository', 'diff', 'app', '2']);
    expect(diff.stdout.trim()).toMatch(/^\+ container\.tag \/pulp\/api\/v3\/content\/container\/tags\/\S+$/);
    const diffJson = await cli.json<{ added: Record<string, string[]>; removed: Record<string, string[]> }>([
      'repository',
      'diff',
      'app',
      '2',
      '--base',
      '0',
    ]);
    expect(diffJson.added['container.tag']).toHaveLength(3);
    expect(diffJson.added['container.manifest']).toHaveLength(2);
    expect(diffJson.removed).toEqual({});

    expect((await cli.run(['repository', 'untag', 'app', 'v2'])).code).toBe(0);
    expect(await tagNames('app')).toEqual(['stable', 'v1']);
    const rolled = await cli.json<TaskJson>(['repository', 'rollback', 'app', '1']);
    expect(rolled.created_resources[0]).toMatch(/\/versions\/4\/$/);
    expect(await tagNames('app')).toEqual(['v1', 'v2']);

    expect((await cli.run(['repository', 'version', 'delete', 'app', '3'])).code).toBe(0);
    const numbers = (await cli.json<{ number: number }[]>(['repository', 'version', 'list', 'app'])).map(
      (v) => v.number,
    );
    expect(numbers).toEqual([4, 2, 1, 0]);
    const gone = await cli.run(['repository', 'version', 'show', 'app', '3']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('HTTP 404');
  });

  it('copies tags and manifests between repositories and adds and removes content', async () => {
    await cli.json(['repository', 'create', 'tags-copy']);
    expect(
      (await cli.run(['repository', 'copy-tags', 'tags-copy', '--source', 'app', '--names', 'v1'])).code,
    ).toBe(0);
    expect(await tagNames('tags-copy')).toEqual(['v1']);
    expect(await manifestDigests('tags-copy')).toEqual([images.v1!.digest]);

    await cli.json(['repository', 'create', 'manifests-copy']);
    const copied = await cli.run([
      'repository',
      'copy-manifests',
      'manifests-copy',
      '--source',
      'app',
      '--source-version',
      '1',
      '--digests',
      images.v2!.digest,
    ]);
    expect(copied.code, copied.stderr).toBe(0);
    expect(await manifestDigests('manifests-copy')).toEqual([images.v2!.digest]);
    expect(await tagNames('manifests-copy')).toEqual([]);

    const [v1Tag] = await cli.json<TagJson[]>([
      'content',
      'tags',
      '--repository',
      'tags-copy',
      '--name',
      'v1',
    ]);
    expect((await cli.run(['repository', 'remove', 'tags-copy', v1Tag!.pulp_href])).code).toBe(0);
    expect(await tagNames('tags-copy')).toEqual([]);
    expect((await cli.run(['repository', 'add', 'manifests-copy', v1Tag!.pulp_href])).code).toBe(0);
    expect(await tagNames('manifests-copy')).toEqual(['v1']);

    // modify takes exactly the units named, without following references.
    expect((await cli.run(['repository', 'modify', 'manifests-copy', '--remove', '*'])).code).toBe(0);
    expect(await manifestDigests('manifests-copy')).toEqual([]);
    const [v2Manifest] = await cli.json<ManifestJson[]>([
      'content',
      'manifests',
      '--digest',
      images.v2!.digest,
    ]);
    const modified = await cli.run([
      'repository',
      'modify',
      'manifests-copy',
      '--add',
      v2Manifest!.pulp_href,
    ]);
    expect(modified.code, modified.stderr).toBe(0);
    expect(await manifestDigests('manifests-copy')).toEqual([images.v2!.digest]);
    expect((await cli.run(['repository', 'modify', 'manifests-copy'])).code).toBe(2);
  });

  it('removes what upstream deleted only with --mirror', async () => {
    const deleted = await fetch(`${registry.url}/v2/team/app/manifests/${images.v2!.digest}`, {
      method: 'DELETE',
    });
    expect(deleted.status).toBe(202);
    const before = await latestNumber('app');
    const additive = await cli.json<TaskJson>(['sync', 'app']);
    expect(additive.created_resources).toEqual([]);
    expect(await latestNumber('app')).toBe(before);

    const mirrored = await cli.json<TaskJson>(['sync', 'app', '--mirror']);
    expect(mirrored.created_resources).toEqual([
      expect.stringMatching(new RegExp(`/versions/${before + 1}/$`)),
    ]);
    expect(await tagNames('app')).toEqual(['v1']);
  });

  it('exits 1 naming the task when a sync fails, and task wait says the same', async () => {
    await cli.json([
      'remote',
      'create',
      'nowhere',
      '--remote-url',
      'http://127.0.0.1:9',
      '--upstream-name',
      'x',
    ]);
    await cli.json(['repository', 'create', 'broken', '--remote', 'nowhere']);
    const failed = await cli.run(['sync', 'broken']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^wharf: Task \/pulp\/api\/v3\/tasks\/[0-9a-f-]+\/ \(\S+\) failed: .+/);

    const started = await cli.json<{ task: string }>(['sync', 'broken', '--no-wait']);
    const waited = await cli.run(['task', 'wait', started.task]);
    expect(waited.code).toBe(1);
    expect(waited.stderr).toContain(`Task ${started.task}`);
    expect(waited.stderr).toContain('failed');
  });
});
