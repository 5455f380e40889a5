import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { API_ROOT, type AsyncOperation, type Json } from '../api-client.js';
import { contextOf, hrefOf, integer, lookUp, lookUpDistribution, versionHref } from '../context.js';
import { UsageError } from '../errors.js';
import { formatBytes } from '../output.js';
import { finishOperation, type Task } from '../tasks.js';
import { boolean } from './remote.js';

export const REPLICATION_TARGETS = 'replication-targets/';

const COLUMNS = [
  { header: 'name', value: (t: Json) => t.name },
  { header: 'url', value: (t: Json) => t.url },
  { header: 'path', value: (t: Json) => t.path },
  { header: 'follows', value: (t: Json) => t.repository ?? t.distribution },
  { header: 'mirror', value: (t: Json) => t.mirror },
  { header: 'auto', value: (t: Json) => t.auto },
  { header: 'href', value: (t: Json) => t.pulp_href },
];

const lookUpTarget = (client: ReturnType<typeof contextOf>['client'], reference: string) =>
  lookUp(client, REPLICATION_TARGETS, 'replication target', reference);

/**
 * Options shared by create and update; on update every one is optional. The destination's URL and
 * credentials are `--registry-*`: `--url`, `--username` and `--password` always mean the Wharf server.
 */
function targetOptions(command: Command, creating: boolean): Command {
  const url = '--registry-url <url>';
  const path = '--path <name>';
  (creating
    ? command
        .requiredOption(url, 'destination registry URL (http or https)')
        .requiredOption(path, 'repository name at the destination, e.g. team/app')
    : command
        .option('--name <name>', 'new name')
        .option(url, 'destination registry URL (http or https)')
        .option(path, 'repository name at the destination')
  )
    .option('--repository <repository>', 'push the latest version of this repository (name or href)')
    .option('--distribution <distribution>', 'push what this distribution serves (name or href)')
    .option('--registry-username <username>', 'destination registry username')
    .option('--registry-password <password>', 'destination registry password (stored, never shown)')
    .option('--mirror <bool>', 'remove destination tags the pushed version lacks (true/false)', boolean)
    .option('--auto <bool>', 'push every new version of the repository by itself (true/false)', boolean)
    .option('--tls-validation <bool>', 'verify the destination TLS certificate (true/false)', boolean)
    .option('--ca-cert <file>', 'PEM file of CA certificates to trust for the destination');
  return command;
}

async function targetBody(
  client: ReturnType<typeof contextOf>['client'],
  options: Record<string, unknown>,
): Promise<Json> {
  if (options.repository !== undefined && options.distribution !== undefined) {
    throw new UsageError('Give --repository or --distribution, not both.');
  }
  const body: Json = {};
  const copy: Record<string, string> = {
    name: 'name',
    registryUrl: 'url',
    path: 'path',
    registryUsername: 'username',
    registryPassword: 'password',
    mirror: 'mirror',
    auto: 'auto',
    tlsValidation: 'tls_validation',
  };
  for (const [option, field] of Object.entries(copy)) {
    if (options[option] !== undefined) body[field] = options[option];
  }
  if (typeof options.repository === 'string') {
    body.repository = await hrefOf(client, 'repository', options.repository);
    body.distribution = null;
  }
  if (typeof options.distribution === 'string') {
    const reference = options.distribution;
    body.distribution = reference.startsWith(API_ROOT)
      ? reference
      : ((await lookUpDistribution(client, reference)).pulp_href as string);
    body.repository = null;
  }
  if (typeof options.caCert === 'string') body.ca_cert = readFileSync(options.caCert, 'utf8');
  return body;
}

/**
 * What the push sent, from the replicate task's result (the progress reports already counted what it went
 * through): `pushed 1 tags, 1 manifests, 2 blobs (5.0 MiB)`, and in mirror mode what became of other tags.
 */
function describeReplication(task: Task): string {
  const result = task.result;
  if (!result) return '';
  const removed = (result.tagsRemoved as string[] | undefined) ?? [];
  const kept = (result.tagsKept as unknown[] | undefined) ?? [];
  const parts = [
    `pushed ${result.tagsPushed as number} tags, ${result.manifestsPushed as number} manifests, ` +
      `${result.blobsPushed as number} blobs (${formatBytes((result.bytesPushed as number) ?? 0)})`,
  ];
  if (removed.length) parts.push(`removed tags ${removed.join(',')}`);
  if (kept.length) parts.push(`kept ${kept.length} destination tags the destination would not delete`);
  return parts.join('; ');
}

export function registerReplicationCommands(program: Command): void {
  const target = program
    .command('replication-target')
    .alias('target')
    .description('other registries repository versions are pushed to');

  targetOptions(
    target.command('create').description('create a replication target').argument('<name>', 'target name'),
    true,
  ).action(async (name: string, options, command: Command) => {
    const { client, output } = contextOf(command);
    if (options.repository === undefined && options.distribution === undefined) {
      throw new UsageError('Give --repository or --distribution: what the target pushes.');
    }
    const created = await client.post(REPLICATION_TARGETS, { ...(await targetBody(client, options)), name });
    output.message(`Created replication target ${name} (${created.pulp_href as string})`, created);
  });

  target
    .command('list')
    .description('list replication targets')
    .option('--name <name>', 'only the target of this name')
    .option('--repository <repository>', 'only targets following this repository (name or href)')
    .action(async (options, command: Command) => {
      const { client, output } = contextOf(command);
      const repository =
        options.repository === undefined ? undefined : await hrefOf(client, 'repository', options.repository);
      output.table(await client.listAll(REPLICATION_TARGETS, { name: options.name, repository }), COLUMNS);
    });

  target
    .command('show')
    .description('show a replication target (credentials are never shown)')
    .argument('<target>', 'name or href')
    .action(async (reference: string, _options, command: Command) => {
      const { client, output } = contextOf(command);
      output.record(await lookUpTarget(client, reference));
    });

  targetOptions(
    target.command('update').description('change a replication target').argument('<target>', 'name or href'),
    false,
  ).action(async (reference: string, options, command: Command) => {
    const { client, output } = contextOf(command);
    const body = await targetBody(client, options);
    if (Object.keys(body).length === 0) throw new UsageError('Nothing to change: give at least one option.');
    const href = (await lookUpTarget(client, reference)).pulp_href as string;
    const updated = await client.patch(href, body);
    output.message(`Updated replication target ${updated.name as string} (${href})`, updated);
  });

  target
    .command('delete')
    .description('delete a replication target (nothing is removed at the destination)')
    .argument('<target>', 'name or href')
    .action(async (reference: string, _options, command: Command) => {
      const { client, output } = contextOf(command);
      const href = (await lookUpTarget(client, reference)).pulp_href as string;
      await client.delete(href);
      output.message(`Deleted ${href}`, { deleted: href });
    });

  const replicate = (command: Command) =>
    command
      .description('push a repository version to a target, with a live progress bar')
      .argument('<target>', 'name or href')
      .option('--version <number>', 'push this version of the followed repository (default: latest)', integer)
      .option('--no-wait', 'print the task href and return at once')
      .action(async (reference: string, options, command: Command) => {
        const { client, output } = contextOf(command);
        const found = await lookUpTarget(client, reference);
        const body: Json = {};
        if (options.version !== undefined) {
          if (typeof found.repository !== 'string') {
            throw new UsageError(
              `Target ${found.name as string} follows a distribution: --version needs a repository.`,
            );
          }
          body.repository_version = await versionHref(client, found.repository, options.version);
        }
        const operation = await client.post<AsyncOperation>(`${found.pulp_href as string}replicate/`, body);
        await finishOperation(client, output, operation, {
          wait: options.wait,
          label: 'Replicate',
          describe: describeReplication,
        });
      });
  replicate(target.command('replicate'));
  // Like `wharf sync`: the everyday action is one word.
  replicate(program.command('replicate'));
}
