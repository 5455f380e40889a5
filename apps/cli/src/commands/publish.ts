import type { Command } from 'commander';
import type { AsyncOperation, Json } from '../api-client.js';
import {
  DISTRIBUTIONS,
  PUBLICATIONS,
  contextOf,
  hrefOf,
  integer,
  lookUpDistribution,
  versionHref,
} from '../context.js';
import { UsageError } from '../errors.js';
import { finishOperation } from '../tasks.js';

const PUBLICATION_COLUMNS = [
  { header: 'created', value: (p: Json) => p.pulp_created },
  { header: 'repository version', value: (p: Json) => p.repository_version },
  { header: 'href', value: (p: Json) => p.pulp_href },
];

const DISTRIBUTION_COLUMNS = [
  { header: 'name', value: (d: Json) => d.name },
  { header: 'base path', value: (d: Json) => d.base_path },
  { header: 'serves', value: (d: Json) => d.publication ?? d.repository_version ?? d.repository },
  { header: 'registry path', value: (d: Json) => d.registry_path },
  { header: 'href', value: (d: Json) => d.pulp_href },
];

export function registerPublicationCommands(program: Command): void {
  const publication = program.command('publication').description('immutable serving snapshots of a version');

  publication
    .command('create')
    .description('publish a repository version (the latest by default)')
    .requiredOption('--repository <repository>', 'name or href')
    .option('--version <number>', 'version number', integer)
    .option('--no-wait', 'print the task href and return at once')
    .action(async (options, command: Command) => {
      const { client, output } = contextOf(command);
      const body =
        options.version === undefined
          ? { repository: await hrefOf(client, 'repository', options.repository) }
          : { repository_version: await versionHref(client, options.repository, options.version) };
      const operation = await client.post<AsyncOperation>(PUBLICATIONS, body);
      await finishOperation(client, output, operation, { wait: options.wait, label: 'Publication' });
    });

  publication
    .command('list')
    .description('list publications')
    .option('--repository <repository>', 'only those of this repository (name or href)')
    .action(async (options, command: Command) => {
      const { client, output } = contextOf(command);
      const repository = options.repository
        ? await hrefOf(client, 'repository', options.repository)
        : undefined;
      output.table(await client.listAll(PUBLICATIONS, { repository }), PUBLICATION_COLUMNS);
    });

  publication
    .command('show')
    .description('show a publication')
    .argument('<href>', 'publication href')
    .action(async (href: string, _options, command: Command) => {
      const { client, output } = contextOf(command);
      output.record(await client.get(href));
    });

  publication
    .command('delete')
    .description('delete a publication')
    .argument('<href>', 'publication href')
    .option('--no-wait', 'print the task href and return at once')
    .action(async (href: string, options, command: Command) => {
      const { client, output } = contextOf(command);
      const operation = await client.delete<AsyncOperation>(href);
      await finishOperation(client, output, operation, { wait: options.wait, label: 'Delete' });
    });
}

/** What a distribution serves: a repository's latest version, one version, or a publication. */
async function servedBy(
  client: ReturnType<typeof contextOf>['client'],
  options: { repository?: string; version?: number; publication?: string },
): Promise<Json> {
  if (options.publication !== undefined && options.repository !== undefined) {
    throw new UsageError('Give --repository (with an optional --version) or --publication, not both.');
  }
  if (options.version !== undefined && options.repository === undefined) {
    throw new UsageError('--version needs --repository.');
  }
  if (options.publication !== undefined) {
    return { publication: options.publication || null, repository: null, repository_version: null };
  }
  if (options.repository === undefined) return {};
  if (options.repository === '') return { repository: null, repository_version: null };
  return options.version === undefined
    ? {
        repository: await hrefOf(client, 'repository', options.repository),
        repository_version: null,
        publication: null,
      }
    : {
        repository_version: await versionHref(client, options.repository, options.version),
        repository: null,
        publication: null,
      };
}

function servingOptions(command: Command): Command {
  return command
    .option('--repository <repository>', "serve this repository's latest version (name or href)")
    .option('--version <number>', 'serve this version of --repository instead', integer)
    .option('--publication <href>', 'serve this publication')
    .option('--private', 'pulls need credentials')
    .option('--description <text>', 'free text')
    .option('--no-wait', 'print the task href and return at once');
}

export function registerDistributionCommands(program: Command): void {
  const distribution = program
    .command('distribution')
    .description('base paths the registry serves content at');

  servingOptions(
    distribution
      .command('create')
      .description('create a distribution')
      .argument('<name>', 'distribution name')
      .requiredOption('--base-path <path>', 'path in the registry (e.g. team/app)'),
  ).action(async (name: string, options, command: Command) => {
    const { client, output } = contextOf(command);
    const body: Json = { name, base_path: options.basePath, ...(await servedBy(client, options)) };
    for (const key of Object.keys(body)) if (body[key] === null) delete body[key];
    if (options.private) body.private = true;
    if (options.description !== undefined) body.description = options.description;
    const operation = await client.post<AsyncOperation>(DISTRIBUTIONS, body);
    await finishOperation(client, output, operation, { wait: options.wait, label: 'Distribution' });
  });

  distribution
    .command('list')
    .description('list distributions')
    .option('--name-contains <text>', 'only names containing this text')
    .option('--base-path <path>', 'only this base path')
    .action(async (options, command: Command) => {
      const { client, output } = contextOf(command);
      const items = await client.listAll(DISTRIBUTIONS, {
        name__contains: options.nameContains,
        base_path: options.basePath,
      });
      output.table(items, DISTRIBUTION_COLUMNS);
    });

  distribution
    .command('show')
    .description('show a distribution')
    .argument('<distribution>', 'name or href')
    .action(async (reference: string, _options, command: Command) => {
      const { client, output } = contextOf(command);
      output.record(await lookUpDistribution(client, reference));
    });

  servingOptions(
    distribution
      .command('update')
      .description('change a distribution')
      .argument('<distribution>', 'name or href')
      .option('--name <name>', 'new name')
      .option('--base-path <path>', 'new base path')
      .option('--public', 'pulls need no credentials'),
  ).action(async (reference: string, options, command: Command) => {
    const { client, output } = contextOf(command);
    const body: Json = { ...(await servedBy(client, options)) };
    if (options.name !== undefined) body.name = options.name;
    if (options.basePath !== undefined) body.base_path = options.basePath;
    if (options.private) body.private = true;
    if (options.public) body.private = false;
    if (options.description !== undefined) body.description = options.description;
    if (Object.keys(body).length === 0) throw new UsageError('Nothing to change: give at least one option.');
    const href = (await lookUpDistribution(client, reference)).pulp_href as string;
    const operation = await client.patch<AsyncOperation>(href, body);
    await finishOperation(client, output, operation, { wait: options.wait, label: 'Update' });
  });

  distribution
    .command('delete')
    .description('delete a distribution')
    .argument('<distribution>', 'name or href')
    .option('--no-wait', 'print the task href and return at once')
    .action(async (reference: string, options, command: Command) => {
      const { client, output } = contextOf(command);
      const href = (await lookUpDistribution(client, reference)).pulp_href as string;
      const operation = await client.delete<AsyncOperation>(href);
      await finishOperation(client, output, operation, { wait: options.wait, label: 'Delete' });
    });
}
