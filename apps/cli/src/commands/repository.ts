import { InvalidArgumentError, type Command } from 'commander';
import type { AsyncOperation, Json } from '../api-client.js';
import {
  REPOSITORIES,
  byteSize,
  contextOf,
  hrefOf,
  integer,
  list,
  lookUpRepository,
  versionHref,
} from '../context.js';
import { UsageError } from '../errors.js';
import { finishOperation, type Task } from '../tasks.js';
import { importTarball } from '../uploads.js';

const REPOSITORY_COLUMNS = [
  { header: 'name', value: (r: Json) => r.name },
  { header: 'latest version', value: (r: Json) => versionNumber(r.latest_version_href) },
  { header: 'description', value: (r: Json) => r.description },
  { header: 'href', value: (r: Json) => r.pulp_href },
];

const VERSION_COLUMNS = [
  { header: 'number', value: (v: Json) => v.number },
  { header: 'created', value: (v: Json) => v.pulp_created },
  { header: 'content', value: (v: Json) => presentCounts(v.content_summary) },
  { header: 'href', value: (v: Json) => v.pulp_href },
];

function versionNumber(href: unknown): string {
  const match = typeof href === 'string' ? /\/versions\/(\d+)\/$/.exec(href) : null;
  return match ? match[1]! : '-';
}

function presentCounts(summary: unknown): string {
  const present = (summary as { present?: Record<string, { count: number }> } | undefined)?.present ?? {};
  const parts = Object.entries(present).map(
    ([type, { count }]) => `${type.replace(/^container\./, '')}s ${count}`,
  );
  return parts.join(', ') || 'empty';
}

const noWait = (command: Command) => command.option('--no-wait', 'print the task href and return at once');

export function registerRepositoryCommands(program: Command): void {
  const repository = program
    .command('repository')
    .alias('repo')
    .description('repositories, their versions and their content');

  repository
    .command('create')
    .description('create a repository')
    .argument('<name>', 'repository name')
    .option('--description <text>', 'free text')
    .option('--remote <remote>', 'default remote to sync from (name or href)')
    .option('--retain-repo-versions <n>', 'keep only the newest n versions', integer)
    .action(async (name: string, options, command: Command) => {
      const { client, output } = contextOf(command);
      const body: Json = { name };
      if (options.description !== undefined) body.description = options.description;
      if (options.remote !== undefined) body.remote = await hrefOf(client, 'remote', options.remote);
      if (options.retainRepoVersions !== undefined) body.retain_repo_versions = options.retainRepoVersions;
      const created = await client.post(REPOSITORIES, body);
      output.message(`Created repository ${name} (${created.pulp_href as string})`, created);
    });

  repository
    .command('list')
    .description('list repositories')
    .option('--name-contains <text>', 'only names containing this text')
    .action(async (options, command: Command) => {
      const { client, output } = contextOf(command);
      const items = await client.listAll(REPOSITORIES, { name__contains: options.nameContains });
      output.table(items, REPOSITORY_COLUMNS);
    });

  repository
    .command('show')
    .description('show a repository')
    .argument('<repository>', 'name or href')
    .action(async (reference: string, _options, command: Command) => {
      const { client, output } = contextOf(command);
      output.record(await lookUpRepository(client, reference));
    });

  noWait(
    repository
      .command('update')
      .description('change a repository')
      .argument('<repository>', 'name or href')
      .option('--name <name>', 'new name')
      .option('--description <text>', 'free text')
      .option('--remote <remote>', 'default remote (name or href); "" to clear')
      .option('--retain-repo-versions <n>', 'keep only the newest n versions (0: all)', integer),
  ).action(async (reference: string, options, command: Command) => {
    const { client, output } = contextOf(command);
    const body: Json = {};
    if (options.name !== undefined) body.name = options.name;
    if (options.description !== undefined) body.description = options.description;
    if (options.remote !== undefined)
      body.remote = options.remote === '' ? null : await hrefOf(client, 'remote', options.remote);
    if (options.retainRepoVersions !== undefined) {
      body.retain_repo_versions = options.retainRepoVersions === 0 ? null : options.retainRepoVersions;
    }
    if (Object.keys(body).length === 0) throw new UsageError('Nothing to change: give at least one option.');
    const href = await hrefOf(client, 'repository', reference);
    const operation = await client.patch<AsyncOperation>(href, body);
    await finishOperation(client, output, operation, { wait: options.wait, label: 'Update' });
  });

  noWait(
    repository
      .command('delete')
      .description('delete a repository and its versions')
      .argument('<repository>', 'name or href'),
  ).action(async (reference: string, options, command: Command) => {
    const { client, output } = contextOf(command);
    const operation = await client.delete<AsyncOperation>(await hrefOf(client, 'repository', reference));
    await finishOperation(client, output, operation, { wait: options.wait, label: 'Delete' });
  });

  const version = repository.command('version').description("a repository's versions");
  version
    .command('list')
    .description('list the versions of a repository, newest first')
    .argument('<repository>', 'name or href')
    .action(async (reference: string, _options, command: Command) => {
      const { client, output } = contextOf(command);
      const found = await lookUpRepository(client, reference);
      output.table(await client.listAll(found.versions_href as string), VERSION_COLUMNS);
    });
  version
    .command('show')
    .description('show one version (the latest without a number)')
    .argument('<repository>', 'name or href')
    .argument('[number]', 'version number', integer)
    .action(async (reference: string, number: number | undefined, _options, command: Command) => {
      const { client, output } = contextOf(command);
      output.record(await client.get(await versionHref(client, reference, number)));
    });
  noWait(
    version
      .command('delete')
      .description('delete one version')
      .argument('<repository>', 'name or href')
      .argument('<number>', 'version number', integer),
  ).action(async (reference: string, number: number, options, command: Command) => {
    const { client, output } = contextOf(command);
    const operation = await client.delete<AsyncOperation>(await versionHref(client, reference, number));
    await finishOperation(client, output, operation, { wait: options.wait, label: 'Delete' });
  });

  repository
    .command('diff')
    .description('what a version added and removed, against its predecessor or --base')
    .argument('<repository>', 'name or href')
    .argument('<number>', 'version number', integer)
    .option('--base <number>', 'compare with this version instead', integer)
    .option('--content-type <type>', 'only this type: tag, manifest or blob')
    .action(async (reference: string, number: number, options, command: Command) => {
      const { client, output } = contextOf(command);
      const href = await versionHref(client, reference, number);
      const diff = await collectDiff(client, href, options.base, options.contentType);
      if (output.json) return output.printJson(diff);
      for (const change of ['added', 'removed'] as const) {
        for (const [type, hrefs] of Object.entries(diff[change])) {
          for (const unit of hrefs) output.line(`${change === 'added' ? '+' : '-'} ${type} ${unit}`);
        }
      }
      if (!Object.keys(diff.added).length && !Object.keys(diff.removed).length) output.line('(no change)');
    });

  noWait(
    repository
      .command('rollback')
      .description('make a new version with the content of an older one')
      .argument('<repository>', 'name or href')
      .argument('<number>', 'version to go back to', integer),
  ).action(async (reference: string, number: number, options, command: Command) => {
    const { client, output } = contextOf(command);
    const href = await hrefOf(client, 'repository', reference);
    const operation = await client.post<AsyncOperation>(`${href}rollback/`, { version: number });
    await finishOperation(client, output, operation, { wait: options.wait, label: 'Rollback' });
  });

  noWait(
    repository
      .command('tag')
      .description('tag a manifest of the repository')
      .argument('<repository>', 'name or href')
      .argument('<tag>', 'tag name')
      .argument('<digest>', 'manifest digest (sha256:...)'),
  ).action(async (reference: string, tag: string, digest: string, options, command: Command) => {
    const { client, output } = contextOf(command);
    const href = await hrefOf(client, 'repository', reference);
    const operation = await client.post<AsyncOperation>(`${href}tag/`, { tag, digest });
    await finishOperation(client, output, operation, { wait: options.wait, label: 'Tag' });
  });

  noWait(
    repository
      .command('untag')
      .description('remove a tag from the repository')
      .argument('<repository>', 'name or href')
      .argument('<tag>', 'tag name'),
  ).action(async (reference: string, tag: string, options, command: Command) => {
    const { client, output } = contextOf(command);
    const href = await hrefOf(client, 'repository', reference);
    const operation = await client.post<AsyncOperation>(`${href}untag/`, { tag });
    await finishOperation(client, output, operation, { wait: options.wait, label: 'Untag' });
  });

  const copySource = (command: Command) =>
    noWait(
      command
        .argument('<repository>', 'destination repository (name or href)')
        .requiredOption('--source <repository>', 'source repository (name or href)')
        .option('--source-version <number>', 'source version (default: latest)', integer),
    );
  const sourceOf = async (
    client: ReturnType<typeof contextOf>['client'],
    options: { source: string; sourceVersion?: number },
  ) =>
    options.sourceVersion === undefined
      ? { source_repository: await hrefOf(client, 'repository', options.source) }
      : { source_repository_version: await versionHref(client, options.source, options.sourceVersion) };

  copySource(
    repository
      .command('copy-tags')
      .description('copy tags (and what they reference) from another repository')
      .option('--names <names>', 'only these tags (comma-separated, repeatable)', list),
  ).action(async (reference: string, options, command: Command) => {
    const { client, output } = contextOf(command);
    const href = await hrefOf(client, 'repository', reference);
    const body: Json = { ...(await sourceOf(client, options)) };
    if (options.names) body.names = options.names;
    const operation = await client.post<AsyncOperation>(`${href}copy_tags/`, body);
    await finishOperation(client, output, operation, { wait: options.wait, label: 'Copy' });
  });

  copySource(
    repository
      .command('copy-manifests')
      .description('copy manifests (and their blobs) from another repository')
      .option('--digests <digests>', 'only these manifests (comma-separated, repeatable)', list)
      .option('--media-types <types>', 'only manifests of these media types', list),
  ).action(async (reference: string, options, command: Command) => {
    const { client, output } = contextOf(command);
    const href = await hrefOf(client, 'repository', reference);
    const body: Json = { ...(await sourceOf(client, options)) };
    if (options.digests) body.digests = options.digests;
    if (options.mediaTypes) body.media_types = options.mediaTypes;
    const operation = await client.post<AsyncOperation>(`${href}copy_manifests/`, body);
    await finishOperation(client, output, operation, { wait: options.wait, label: 'Copy' });
  });

  for (const [action, verb] of [
    ['add', 'add content units (and what they reference) to'],
    ['remove', 'remove content units (and what only they reference) from'],
  ] as const) {
    noWait(
      repository
        .command(action)
        .description(`${verb} a repository`)
        .argument('<repository>', 'name or href')
        .argument('<content...>', 'content hrefs (tags, manifests, blobs)'),
    ).action(async (reference: string, content: string[], options, command: Command) => {
      const { client, output } = contextOf(command);
      const href = await hrefOf(client, 'repository', reference);
      const operation = await client.post<AsyncOperation>(`${href}${action}/`, { content_units: content });
      await finishOperation(client, output, operation, {
        wait: options.wait,
        label: action === 'add' ? 'Add' : 'Remove',
      });
    });
  }

  noWait(
    repository
      .command('modify')
      .description('add and remove content units in one new version (no dependencies followed)')
      .argument('<repository>', 'name or href')
      .option('--add <hrefs>', 'content hrefs to add (comma-separated, repeatable)', list)
      .option('--remove <hrefs>', "content hrefs to remove, or '*' for all", list)
      .option('--base-version <number>', 'start from this version instead of the latest', integer),
  ).action(async (reference: string, options, command: Command) => {
    const { client, output } = contextOf(command);
    if (!options.add && !options.remove) throw new UsageError('Give --add, --remove or both.');
    const body: Json = {};
    if (options.add) body.add_content_units = options.add;
    if (options.remove) body.remove_content_units = options.remove;
    if (options.baseVersion !== undefined) {
      body.base_version = await versionHref(client, reference, options.baseVersion);
    }
    const href = await hrefOf(client, 'repository', reference);
    const operation = await client.post<AsyncOperation>(`${href}modify/`, body);
    await finishOperation(client, output, operation, { wait: options.wait, label: 'Modify' });
  });

  noWait(
    repository
      .command('import-tarball')
      .description('import a docker-archive or oci-archive tarball (uploaded in resumable chunks)')
      .argument('<repository>', 'name or href')
      .argument('<file>', 'the tarball')
      .option('--chunk-size <size>', 'bytes per chunk (e.g. 8MiB)', byteSize),
  ).action(async (reference: string, file: string, options, command: Command) => {
    await importTarball(contextOf(command), reference, file, options);
  });

  registerLayoutCommands(repository);
}

const LAYOUT_FORMATS = ['oci-archive', 'directory'];
const LAYOUT_STORAGES = ['filesystem', 's3'];

function layoutStorage(value: string): string {
  if (!LAYOUT_STORAGES.includes(value)) {
    throw new InvalidArgumentError(`'${value}' is not a storage: use ${LAYOUT_STORAGES.join(' or ')}.`);
  }
  return value;
}

const STORAGE_HELP =
  "filesystem (under the server's WHARF_EXPORT_ROOT, default) or s3 (keys under its WHARF_EXPORT_BUCKET)";

function layoutFormat(value: string): string {
  if (!LAYOUT_FORMATS.includes(value)) {
    throw new InvalidArgumentError(`'${value}' is not a format: use ${LAYOUT_FORMATS.join(' or ')}.`);
  }
  return value;
}

/** `2 tags written to usb/app.tar` (export) or `2 tags; created …/versions/4/` (import), from the task. */
function describeLayout(task: Task): string {
  const result = task.result;
  const tags = result ? `${result.tags as number} tags` : '';
  const where = typeof result?.path === 'string' ? ` written to ${result.path}` : '';
  const created = task.created_resources.length ? `; created ${task.created_resources.join(', ')}` : '';
  return `${tags}${where}${created}`;
}

/**
 * OCI image layout export and import, for carrying versions into networks with no connection. Paths are on
 * the server, relative to its WHARF_EXPORT_ROOT: the server writes and reads them, not the CLI.
 */
function registerLayoutCommands(repository: Command): void {
  noWait(
    repository
      .command('export')
      .description("write a version as an OCI image layout under the server's WHARF_EXPORT_ROOT")
      .argument('<repository>', 'name or href')
      .argument('<path>', 'where to write, relative to WHARF_EXPORT_ROOT; must not exist')
      .option('--format <format>', 'oci-archive (one tar file, default) or directory', layoutFormat)
      .option('--storage <storage>', STORAGE_HELP, layoutStorage)
      .option('--version <number>', 'export this version (default: latest)', integer)
      .option(
        '--chunk-size <size>',
        'oci-archive: split into files of this size, listed in SHA256SUMS',
        byteSize,
      ),
  ).action(async (reference: string, path: string, options, command: Command) => {
    const { client, output } = contextOf(command);
    const href = await hrefOf(client, 'repository', reference);
    const body: Json = { path };
    if (options.format !== undefined) body.format = options.format;
    if (options.storage !== undefined) body.storage = options.storage;
    if (options.version !== undefined)
      body.repository_version = await versionHref(client, href, options.version);
    if (options.chunkSize !== undefined) body.chunk_size = options.chunkSize;
    const operation = await client.post<AsyncOperation>(`${href}oci_export/`, body);
    await finishOperation(client, output, operation, {
      wait: options.wait,
      label: 'Export',
      describe: describeLayout,
    });
  });

  noWait(
    repository
      .command('import')
      .description("make a new version from an OCI layout export under the server's WHARF_EXPORT_ROOT")
      .argument('<repository>', 'name or href')
      .argument('<path>', 'the export, relative to WHARF_EXPORT_ROOT')
      .option('--format <format>', 'oci-archive (default; chunked ones too) or directory', layoutFormat)
      .option('--storage <storage>', STORAGE_HELP, layoutStorage),
  ).action(async (reference: string, path: string, options, command: Command) => {
    const { client, output } = contextOf(command);
    const href = await hrefOf(client, 'repository', reference);
    const body: Json = { path };
    if (options.format !== undefined) body.format = options.format;
    if (options.storage !== undefined) body.storage = options.storage;
    const operation = await client.post<AsyncOperation>(`${href}oci_import/`, body);
    await finishOperation(client, output, operation, {
      wait: options.wait,
      label: 'Import',
      describe: describeLayout,
    });
  });
}

interface Diff {
  added: Record<string, string[]>;
  removed: Record<string, string[]>;
}

/** The diff is paged by an opaque `after` cursor; gathers every page. */
async function collectDiff(
  client: ReturnType<typeof contextOf>['client'],
  href: string,
  base: number | undefined,
  contentType: string | undefined,
): Promise<Diff & { base_version: unknown; version: unknown }> {
  const diff: Diff = { added: {}, removed: {} };
  let after: string | undefined;
  let first: Json | undefined;
  do {
    const page = await client.get(`${href}diff/`, { base_version: base, content_type: contentType, after });
    first ??= page;
    for (const change of ['added', 'removed'] as const) {
      for (const [type, hrefs] of Object.entries((page[change] ?? {}) as Record<string, string[]>)) {
        (diff[change][type] ??= []).push(...hrefs);
      }
    }
    after =
      typeof page.next === 'string'
        ? (new URL(page.next, 'http://x').searchParams.get('after') ?? undefined)
        : undefined;
  } while (after);
  return { base_version: first?.base_version ?? null, version: first?.version ?? href, ...diff };
}
