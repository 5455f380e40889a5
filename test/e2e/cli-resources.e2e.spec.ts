import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TEST_ADMIN_PASSWORD } from '@wharf/testing';
import { startAllInOne, type WharfDeployment } from './wharf-deployments.js';
import { cliFor, type Cli } from './cli-runner.js';

interface Resource {
  pulp_href: string;
  name?: string;
  [key: string]: unknown;
}

interface TaskJson {
  pulp_href: string;
  state: string;
  created_resources: string[];
}

describe('wharf CLI: resources, output, exit codes and configuration', () => {
  let wharf: WharfDeployment;
  let cli: Cli;

  beforeAll(async () => {
    wharf = await startAllInOne();
    cli = cliFor(wharf.apiUrl);
  }, 60_000);

  afterAll(async () => {
    cli?.cleanup();
    await wharf?.stop();
  });

  it('reports the server status as text and as JSON', async () => {
    const text = await cli.run(['status']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^wharf\s+\S+/m);
    expect(text.stdout).toContain('database_connection');
    const json = await cli.json<{ versions: { component: string }[] }>(['status']);
    expect(json.versions.map((v) => v.component)).toContain('wharf');
  });

  it('creates, lists, shows, updates and deletes repositories', async () => {
    const created = await cli.json<Resource>(['repository', 'create', 'cli-repo', '--description', 'first']);
    expect(created.pulp_href).toMatch(/^\/pulp\/api\/v3\/repositories\/container\/container\/[0-9a-f-]+\/$/);

    const table = await cli.run(['repository', 'list']);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+LATEST VERSION\s+DESCRIPTION\s+HREF$/);
    expect(table.stdout).toMatch(new RegExp(`^cli-repo\\s+0\\s+first\\s+${created.pulp_href}$`, 'm'));

    const updated = await cli.run(['repository', 'update', 'cli-repo', '--description', 'second']);
    expect(updated.code).toBe(0);
    expect(updated.stdout).toMatch(/^Update completed in \d+\.\ds/);
    // By href as well as by name.
    expect((await cli.json<Resource>(['repository', 'show', created.pulp_href])).description).toBe('second');
    const shown = await cli.run(['repo', 'show', 'cli-repo']);
    expect(shown.stdout).toMatch(/^description:\s+second$/m);

    const versions = await cli.json<{ number: number; pulp_href: string }[]>([
      'repository',
      'version',
      'list',
      'cli-repo',
    ]);
    expect(versions.map((v) => v.number)).toEqual([0]);
    expect((await cli.json<Resource>(['repository', 'version', 'show', 'cli-repo', '0'])).pulp_href).toBe(
      `${created.pulp_href}versions/0/`,
    );

    const deleted = await cli.json<TaskJson>(['repository', 'delete', 'cli-repo']);
    expect(deleted.state).toBe('completed');
    expect(await cli.json<Resource[]>(['repository', 'list'])).toEqual([]);
  });

  it('starts a task and returns at once with --no-wait; task wait then follows it to the end', async () => {
    await cli.json(['repository', 'create', 'no-wait']);
    const started = await cli.json<{ task: string }>(['repository', 'delete', 'no-wait', '--no-wait']);
    expect(started.task).toMatch(/^\/pulp\/api\/v3\/tasks\/[0-9a-f-]+\/$/);
    const waited = await cli.run(['task', 'wait', started.task]);
    expect(waited.code).toBe(0);
    expect(waited.stdout.trim()).toBe(`Task ${started.task} completed`);
    const listed = await cli.json<TaskJson[]>(['task', 'list', '--state', 'completed']);
    expect(listed.map((t) => t.pulp_href)).toContain(started.task);
    expect((await cli.json<TaskJson>(['task', 'show', started.task])).state).toBe('completed');
    // A finished task cannot be canceled: the server's 409 is a failure.
    const cancel = await cli.run(['task', 'cancel', started.task]);
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toContain('HTTP 409');
  });

  it('manages remotes without ever printing their password', async () => {
    const secret = 'remote-secret-8e1f';
    const created = await cli.json<Resource>([
      'remote',
      'create',
      'cli-remote',
      '--remote-url',
      'https://registry.example.test',
      '--upstream-name',
      'library/app',
      '--include-tags',
      'v1.*,latest',
      '--platforms',
      'linux/arm64/v8',
      '--remote-username',
      'puller',
      '--remote-password',
      secret,
    ]);
    expect(created).toMatchObject({
      name: 'cli-remote',
      url: 'https://registry.example.test',
      upstream_name: 'library/app',
      include_tags: ['v1.*', 'latest'],
      platforms: [{ os: 'linux', architecture: 'arm64', variant: 'v8' }],
    });
    const shown = await cli.run(['remote', 'show', 'cli-remote']);
    expect(shown.stdout).toMatch(/^upstream_name:\s+library\/app$/m);
    expect(shown.stdout + shown.stderr).not.toContain(secret);
    expect(JSON.stringify(await cli.json(['remote', 'list']))).not.toContain(secret);

    expect((await cli.run(['remote', 'update', 'cli-remote', '--policy', 'on_demand'])).code).toBe(0);
    expect((await cli.json<Resource>(['remote', 'show', created.pulp_href])).policy).toBe('on_demand');
    expect((await cli.run(['remote', 'delete', 'cli-remote'])).code).toBe(0);
    const gone = await cli.run(['remote', 'show', 'cli-remote']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain("No remote named 'cli-remote'");
  });

  it('publishes a version and serves it through a distribution', async () => {
    const repository = await cli.json<Resource>(['repository', 'create', 'served']);
    const published = await cli.json<TaskJson>(['publication', 'create', '--repository', 'served']);
    const publication = published.created_resources[0]!;
    expect(publication).toMatch(/^\/pulp\/api\/v3\/publications\/container\/container\/[0-9a-f-]+\/$/);
    expect((await cli.json<Resource>(['publication', 'show', publication])).repository_version).toBe(
      `${repository.pulp_href}versions/0/`,
    );
    const publications = await cli.json<Resource[]>(['publication', 'list', '--repository', 'served']);
    expect(publications.map((p) => p.pulp_href)).toEqual([publication]);

    const created = await cli.run([
      'distribution',
      'create',
      'served',
      '--base-path',
      'team/served',
      '--repository',
      'served',
    ]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^Distribution completed in .*created \/pulp\/api\/v3\/distributions\//m);
    const table = await cli.run(['distribution', 'list']);
    expect(table.stdout).toMatch(new RegExp(`^served\\s+team/served\\s+${repository.pulp_href}\\s`, 'm'));

    expect(
      (
        await cli.run([
          'distribution',
          'update',
          'served',
          '--publication',
          publication,
          '--base-path',
          'team/pinned',
        ])
      ).code,
    ).toBe(0);
    expect(await cli.json<Resource>(['distribution', 'show', 'served'])).toMatchObject({
      base_path: 'team/pinned',
      publication,
      repository: null,
    });
    expect((await cli.run(['distribution', 'delete', 'served'])).code).toBe(0);
    expect((await cli.run(['publication', 'delete', publication])).code).toBe(0);
    // Only the deleted one goes: while the distribution followed the repository, Wharf published its latest
    // version by itself (automatic publications), and that publication stays.
    const left = await cli.json<Resource[]>(['publication', 'list', '--repository', 'served']);
    expect(left.map((p) => p.pulp_href)).not.toContain(publication);
  });

  it('cleans up orphans as a task', async () => {
    const cleaned = await cli.run(['orphans', 'cleanup', '--protection-time', '0']);
    expect(cleaned.code).toBe(0);
    expect(cleaned.stdout).toMatch(/^Orphan cleanup completed in \d/);
  });

  it('exits 2 on usage errors, 1 when the server refuses or cannot be reached', async () => {
    const unknown = await cli.run(['repository', 'frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    const missing = await cli.run(['repository', 'show']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'repository'");
    const badNumber = await cli.run(['repository', 'version', 'show', 'x', 'seven']);
    expect(badNumber.code).toBe(2);
    expect(badNumber.stderr).toContain("'seven' is not a whole number");
    expect((await cli.run(['repository', 'update', 'x'])).code).toBe(2);
    expect((await cli.run(['completion', 'fish'])).code).toBe(2);

    const notFound = await cli.run(['repository', 'show', 'no-such-repo']);
    expect(notFound.code).toBe(1);
    expect(notFound.stderr.trim()).toBe("wharf: No repository named 'no-such-repo'");
    const invalid = await cli.run(['repository', 'create', 'bad', '--retain-repo-versions', '0']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('retain_repo_versions');
    const wrongPassword = await cli.run(['status', '--password', 'wrong']);
    // status is public; the repositories are not.
    expect(wrongPassword.code).toBe(0);
    const unauthorized = await cli.run(['repository', 'list', '--password', 'wrong']);
    expect(unauthorized.code).toBe(1);
    expect(unauthorized.stderr).toContain('authentication failed');
    const unreachable = await cli.run(['status', '--url', 'http://127.0.0.1:9']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('Cannot reach http://127.0.0.1:9');
    const help = await cli.run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes: 0 success, 1 failure');
  });

  it('keeps servers in profiles; flags beat the environment, which beats the file', async () => {
    const configured = cliFor('', {});
    const bare = { WHARF_URL: '', WHARF_USERNAME: '', WHARF_PASSWORD: '' };
    try {
      const set = (profile: string, key: string, value: string) =>
        configured.run(['config', 'set', key, value, '--profile', profile], bare);
      expect((await set('local', 'url', wharf.apiUrl)).code).toBe(0);
      expect((await set('local', 'username', 'admin')).code).toBe(0);
      const password = await set('local', 'password', TEST_ADMIN_PASSWORD);
      expect(password.stdout).not.toContain(TEST_ADMIN_PASSWORD);
      expect((await set('broken', 'url', 'http://127.0.0.1:9')).code).toBe(0);
      expect((await configured.run(['config', 'use', 'local'], bare)).code).toBe(0);

      const path = join(configured.home, '.config', 'wharf', 'config.json');
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({
        current_profile: 'local',
        profiles: { local: { url: wharf.apiUrl, username: 'admin' }, broken: { url: 'http://127.0.0.1:9' } },
      });

      expect((await configured.run(['repository', 'list'], bare)).code).toBe(0);
      expect((await configured.run(['repository', 'list', '--profile', 'broken'], bare)).code).toBe(1);
      expect((await configured.run(['repository', 'list'], { ...bare, WHARF_PROFILE: 'broken' })).code).toBe(
        1,
      );
      // The environment overrides the profile's URL; a flag overrides the environment.
      expect(
        (await configured.run(['repository', 'list'], { ...bare, WHARF_URL: 'http://127.0.0.1:9' })).code,
      ).toBe(1);
      expect(
        (
          await configured.run(['repository', 'list', '--url', wharf.apiUrl], {
            ...bare,
            WHARF_URL: 'http://127.0.0.1:9',
          })
        ).code,
      ).toBe(0);
      const noProfile = await configured.run(['status', '--profile', 'nowhere'], bare);
      expect(noProfile.code).toBe(2);
      expect(noProfile.stderr).toContain("No profile 'nowhere'");

      const shown = await configured.run(['config', 'show'], bare);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(/^profile:\s+local \(profiles: local, broken\)$/m);
      expect(shown.stdout).toMatch(new RegExp(`^url:\\s+${wharf.apiUrl} \\(config file\\)$`, 'm'));
      expect(shown.stdout).toMatch(/^password:\s+\*+ \(config file\)$/m);
      expect(shown.stdout).not.toContain(TEST_ADMIN_PASSWORD);
      const viaEnv = await configured.run(['config', 'show', '--json'], {
        ...bare,
        WHARF_CONFIG: path,
        WHARF_USERNAME: 'ops',
      });
      expect(JSON.parse(viaEnv.stdout)).toMatchObject({
        config_file: path,
        username: 'ops',
        sources: { username: 'environment' },
      });
    } finally {
      configured.cleanup();
    }
  });

  it('prints bash completion that completes commands and subcommands', async () => {
    const script = await cli.run(['completion', 'bash']);
    expect(script.code).toBe(0);
    const complete = (words: string[]) =>
      execFileSync(
        'bash',
        [
          '-c',
          `eval "$1"; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _wharf; echo "\${COMPREPLY[*]}"`,
          'bash',
          script.stdout,
        ],
        { encoding: 'utf8' },
      ).trim();
    expect(complete(['wharf', 're']).split(' ')).toEqual([
      'repository',
      'repo',
      'remote',
      'replication-target',
      'replicate',
    ]);
    expect(complete(['wharf', 'repository', 'version', '']).split(' ')).toEqual(['list', 'show', 'delete']);
    expect(complete(['wharf', '--json', 'sync', 'x', '--m']).split(' ')).toEqual(['--mirror']);
    const zsh = await cli.run(['completion', 'zsh']);
    expect(zsh.stdout.split('\n')[0]).toBe('#compdef wharf');
  });
});
