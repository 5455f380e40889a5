import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ociLayoutEntries,
  randomImage,
  requireBinary,
  startDockerRegistry,
  writeOciLayout,
  type StartedDockerRegistry,
} from '@wharf/testing';
import { eventually, startAllInOne, type WharfDeployment } from './wharf-deployments.js';
import { cliFor, type Cli } from './cli-runner.js';

const run = promisify(execFile);
const sha256 = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;

interface Tag {
  name: string;
  tagged_manifest: string;
}
interface Target {
  pulp_href: string;
  name: string;
  mirror: boolean;
  repository: string | null;
  hidden_fields: { name: string; is_set: boolean }[];
}
interface Task {
  state: string;
  created_resources: string[];
  result: Record<string, unknown> | null;
}
interface AuditRecord {
  event_type: string;
  actor: string | null;
  repository: string | null;
}

/**
 * The `wharf` binary against an all-in-one Wharf with an export root: a docker-archive skopeo made goes in by
 * `repository import-tarball`, is pushed to a Debian docker-registry (htpasswd) by `replicate`, and goes out
 * and back in by `repository export` / `repository import`; `audit list` filters what was recorded.
 */
describe('wharf CLI: tarball import, replication, export and audit', () => {
  let wharf: WharfDeployment;
  let destination: StartedDockerRegistry;
  let cli: Cli;
  let dir: string;
  let exportRoot: string;
  let archive: string;
  const skopeo = requireBinary('skopeo', 'skopeo');
  const image = randomImage({ layers: 3, layerSize: 700_000 });

  const tagsOf = async (repository: string) =>
    Object.fromEntries(
      (await cli.json<Tag[]>(['content', 'tags', '--repository', repository])).map((t) => [
        t.name,
        t.tagged_manifest,
      ]),
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-cli-replication-'));
    exportRoot = mkdtempSync(join(tmpdir(), 'wharf-cli-exports-'));
    writeOciLayout(join(dir, 'layout'), ociLayoutEntries([{ manifest: image, refName: 'v1' }]));
    archive = join(dir, 'docker.tar');
    await run(skopeo, [
      'copy',
      `oci:${join(dir, 'layout')}:v1`,
      `docker-archive:${archive}:example/app:1.0`,
      '--additional-tag',
      'example/app:latest',
    ]);
    [wharf, destination] = await Promise.all([
      startAllInOne({
        WHARF_EXPORT_ROOT: exportRoot,
        WHARF_EXPORT_BUCKET: `${process.env.WHARF_TEST_S3_BUCKET}/cli-exports-${randomUUID()}`,
        WHARF_S3_URL: process.env.WHARF_TEST_S3_URL!,
        WHARF_S3_ACCESS_KEY: 'S3RVER',
        WHARF_S3_SECRET_KEY: 'S3RVER',
      }),
      startDockerRegistry({ auth: 'htpasswd' }),
    ]);
    cli = cliFor(wharf.apiUrl);
  }, 120_000);

  afterAll(async () => {
    cli?.cleanup();
    await Promise.all([wharf?.stop(), destination?.stop()]);
    for (const path of [dir, exportRoot]) if (path) rmSync(path, { recursive: true, force: true });
  });

  it('imports a docker-archive skopeo made, in chunks with a progress bar, as one version with its tags', async () => {
    await cli.json(['repository', 'create', 'app']);
    expect(statSync(archive).size).toBeGreaterThan(2 * 1024 * 1024);
    const imported = await cli.runInTerminal([
      'repository',
      'import-tarball',
      'app',
      archive,
      '--chunk-size',
      '1MiB',
    ]);
    expect(imported.code, imported.stdout).toBe(0);
    expect(imported.stdout).toMatch(/\r\[#{30}\] 100% Uploading /);
    expect(imported.stdout).toMatch(
      /Import completed in \d+\.\ds: created .*\/pulp\/api\/v3\/repositories\/.*\/versions\/1\//,
    );
    const tags = await tagsOf('app');
    expect(Object.keys(tags).sort()).toEqual(['1.0', 'latest']);
    expect(tags['latest']).toBe(tags['1.0']);
    // Nothing is left half-done: the upload became the archive's artifact and is gone.
    expect(await cli.json(['upload', 'list'])).toEqual([]);

    const notTar = join(dir, 'layout', 'index.json');
    const refused = await cli.run(['repository', 'import-tarball', 'app', notTar]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/failed/);
    expect(Object.keys(await tagsOf('app')).sort()).toEqual(['1.0', 'latest']);
  }, 120_000);

  it('leaves a resumable tarball import on Ctrl-C; `upload resume` sends the rest and imports it', async () => {
    const big = randomImage({ layers: 2, layerSize: 48 * 1024 * 1024 });
    const layout = join(dir, 'big-layout');
    writeOciLayout(layout, ociLayoutEntries([{ manifest: big, refName: 'big' }]));
    const bigArchive = join(dir, 'big.tar');
    await run(skopeo, ['copy', `oci:${layout}:big`, `docker-archive:${bigArchive}:example/big:2.0`]);
    const size = statSync(bigArchive).size;
    await cli.json(['repository', 'create', 'big']);

    const child = cli.start(['repository', 'import-tarball', 'big', bigArchive, '--chunk-size', '1MiB']);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    type Upload = { pulp_href: string; size: number; chunks: unknown[] };
    // Asked of the API directly: a CLI per poll would be slower than the upload.
    const uploads = async () =>
      ((await (await wharf.api('/pulp/api/v3/uploads/')).json()) as { results: Upload[] }).results;
    const upload = await eventually(
      'two chunks of the archive on the server',
      async () => {
        const found = (await uploads()).find((u) => u.size === size);
        if (!found) return undefined;
        const detail = (await (await wharf.api(found.pulp_href)).json()) as Upload;
        return detail.chunks.length >= 2 ? found : undefined;
      },
      20_000,
    );
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain(`wharf upload resume ${upload.pulp_href} ${bigArchive}`);
    expect(await tagsOf('big')).toEqual({});

    const resumed = await cli.run(['upload', 'resume', upload.pulp_href, bigArchive]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/^Import completed in .*\/versions\/1\//m);
    expect(Object.keys(await tagsOf('big'))).toEqual(['2.0']);
    expect(await cli.json(['upload', 'list'])).toEqual([]);
  }, 120_000);

  it('manages a replication target and replicates with a progress bar, then with --no-wait', async () => {
    const created = await cli.json<Target>([
      'replication-target',
      'create',
      'edge',
      '--registry-url',
      destination.url,
      '--path',
      'team/app',
      '--repository',
      'app',
      '--registry-username',
      destination.username,
      '--registry-password',
      destination.password,
    ]);
    expect(created.hidden_fields).toEqual(
      expect.arrayContaining([
        { name: 'username', is_set: true },
        { name: 'password', is_set: true },
      ]),
    );
    const listed = await cli.run(['target', 'list']);
    expect(listed.stdout).toMatch(
      /^edge\s+http:\/\/127\.0\.0\.1:\d+\s+team\/app\s+\/pulp\/api\/v3\/repositories\//m,
    );
    const shown = await cli.run(['replication-target', 'show', 'edge']);
    expect(shown.code).toBe(0);
    expect(shown.stdout).not.toContain(destination.password);

    const pushed = await cli.runInTerminal(['replicate', 'edge']);
    expect(pushed.code, pushed.stdout).toBe(0);
    expect(pushed.stdout).toMatch(/\r\[[#-]{30}\] \d+% Pushing (tags|manifests|blobs) \d+/);
    expect(pushed.stdout).toMatch(
      /Replicate completed in \d+\.\ds: .*pushed 2 tags, 1 manifests, 4 blobs \(\d/,
    );

    const tags = await tagsOf('app');
    for (const tag of ['1.0', 'latest']) {
      const { stdout } = await run(skopeo, [
        'inspect',
        '--raw',
        '--tls-verify=false',
        '--creds',
        `${destination.username}:${destination.password}`,
        `docker://${new URL(destination.url).host}/team/app:${tag}`,
      ]);
      const manifest = await cli.json<{ digest: string }>(['content', 'show', tags[tag]!]);
      expect(sha256(stdout)).toBe(manifest.digest);
    }

    // --no-wait returns the task; `task wait` follows it, and a repeated run pushes nothing.
    const started = await cli.json<{ task: string }>(['replicate', 'edge', '--version', '1', '--no-wait']);
    expect(started.task).toMatch(/^\/pulp\/api\/v3\/tasks\//);
    expect((await cli.run(['task', 'wait', started.task])).code).toBe(0);
    const again = await cli.json<Task>(['task', 'show', started.task]);
    expect(again.result).toMatchObject({ tags: 2, tagsPushed: 0, blobsPushed: 0 });

    const updated = await cli.json<Target>(['target', 'update', 'edge', '--mirror', 'true']);
    expect(updated.mirror).toBe(true);
    expect((await cli.run(['target', 'update', 'edge', '--mirror', 'maybe'])).code).toBe(2);
    const missingVersion = await cli.run(['replicate', 'edge', '--version', '9']);
    expect(missingVersion.code).toBe(1);
    // Following a distribution instead: the target pushes what it serves, so no version can be chosen.
    const distribution = await cli.json<Task>([
      'distribution',
      'create',
      'served',
      '--base-path',
      'team/served',
      '--repository',
      'app',
    ]);
    const switched = await cli.json<Target & { distribution: string }>([
      'target',
      'update',
      'edge',
      '--distribution',
      'served',
    ]);
    expect(switched).toMatchObject({ repository: null, distribution: distribution.created_resources[0] });
    const versionOfDistribution = await cli.run(['replicate', 'edge', '--version', '1']);
    expect(versionOfDistribution.code).toBe(2);
    expect(versionOfDistribution.stderr).toContain('follows a distribution');
    expect((await cli.run(['replicate', 'edge'])).code).toBe(0);
    expect((await cli.run(['target', 'delete', 'edge'])).code).toBe(0);
    const gone = await cli.run(['target', 'show', 'edge']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain("No replication target named 'edge'");
  }, 120_000);

  it('exports a version as an OCI archive and imports it into another repository with equal tags', async () => {
    const exported = await cli.runInTerminal(['repository', 'export', 'app', 'app.tar']);
    expect(exported.code, exported.stdout).toBe(0);
    expect(exported.stdout).toMatch(/\r\[#{30}\] 100% Exporting /);
    expect(exported.stdout).toMatch(
      /Export completed in \d+\.\ds: .*manifests 1, blobs 4, [\d.]+ MiB; 2 tags written to app\.tar/,
    );
    expect(statSync(join(exportRoot, 'app.tar')).isFile()).toBe(true);

    await cli.json(['repository', 'create', 'carried']);
    const imported = await cli.json<Task>(['repository', 'import', 'carried', 'app.tar']);
    expect(imported.state).toBe('completed');
    expect(imported.created_resources).toEqual([expect.stringMatching(/\/versions\/1\/$/)]);
    expect(await tagsOf('carried')).toEqual(await tagsOf('app'));

    // The directory format, by --no-wait and `task wait`, round-trips too.
    const started = await cli.json<{ task: string }>([
      'repository',
      'export',
      'app',
      'layout',
      '--format',
      'directory',
      '--version',
      '1',
      '--no-wait',
    ]);
    expect((await cli.run(['task', 'wait', started.task])).code).toBe(0);
    expect(existsSync(join(exportRoot, 'layout', 'index.json'))).toBe(true);
    await cli.json(['repository', 'create', 'from-directory']);
    await cli.json(['repository', 'import', 'from-directory', 'layout', '--format', 'directory']);
    expect(await tagsOf('from-directory')).toEqual(await tagsOf('app'));

    // The same round trip through the server's export bucket.
    const toBucket = await cli.json<Task>([
      'repository',
      'export',
      'app',
      'carried/app.tar',
      '--storage',
      's3',
    ]);
    expect(toBucket.state).toBe('completed');
    await cli.json(['repository', 'create', 'from-bucket']);
    const fromBucket = await cli.json<Task>([
      'repository',
      'import',
      'from-bucket',
      'carried/app.tar',
      '--storage',
      's3',
    ]);
    expect(fromBucket.state).toBe('completed');
    expect(await tagsOf('from-bucket')).toEqual(await tagsOf('app'));
    expect((await cli.run(['repository', 'export', 'app', 'x.tar', '--storage', 'ftp'])).code).toBe(2);

    const existing = await cli.run(['repository', 'export', 'app', 'app.tar']);
    expect(existing.code).toBe(1);
    const outside = await cli.run(['repository', 'export', 'app', '../outside.tar']);
    expect(outside.code).toBe(1);
    expect(existsSync(join(exportRoot, '..', 'outside.tar'))).toBe(false);
    expect((await cli.run(['repository', 'export', 'app', 'x.tar', '--format', 'zip'])).code).toBe(2);
  }, 120_000);

  it('lists audit records with the filters the API has', async () => {
    const before = new Date().toISOString();
    await cli.json(['repository', 'create', 'audited']);
    const created = await eventually('the audit record of the new repository', async () => {
      const records = await cli.json<AuditRecord[]>([
        'audit',
        'list',
        '--repository',
        'audited',
        '--event-type',
        'RepositoryCreated',
        '--actor',
        'admin',
        '--after',
        before,
      ]);
      return records.length === 1 ? records : undefined;
    });
    const href = (await cli.json<{ pulp_href: string }>(['repository', 'show', 'audited'])).pulp_href;
    expect(created[0]).toMatchObject({ event_type: 'RepositoryCreated', actor: 'admin', repository: href });
    expect(await cli.json(['audit', 'list', '--repository', 'audited', '--before', before])).toEqual([]);
    expect(await cli.json(['audit', 'list', '--repository', 'audited', '--actor', 'someone-else'])).toEqual(
      [],
    );
    const table = await cli.run(['audit', 'list', '--repository', href]);
    expect(table.stdout).toMatch(/^OCCURRED\s+EVENT\s+ACTOR\s+REPOSITORY/);
    expect(table.stdout).toContain('RepositoryCreated');
    const badTime = await cli.run(['audit', 'list', '--after', 'yesterday']);
    expect(badTime.code).toBe(2);
    expect(badTime.stderr).toContain("'yesterday' is not an ISO 8601 time");
  }, 60_000);
});
