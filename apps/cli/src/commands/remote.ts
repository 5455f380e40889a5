import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { AsyncOperation, Json } from '../api-client.js';
import { REMOTES, contextOf, hrefOf, integer, list, lookUpRemote } from '../context.js';
import { UsageError } from '../errors.js';
import { finishOperation } from '../tasks.js';

const COLUMNS = [
  { header: 'name', value: (r: Json) => r.name },
  { header: 'url', value: (r: Json) => r.url },
  { header: 'upstream name', value: (r: Json) => r.upstream_name },
  { header: 'policy', value: (r: Json) => r.policy },
  { header: 'href', value: (r: Json) => r.pulp_href },
];

/** Options shared by create and update; on update every one is optional. */
function remoteOptions(command: Command, creating: boolean): Command {
  const url = '--remote-url <url>';
  const upstream = '--upstream-name <name>';
  (creating
    ? command
        .requiredOption(url, 'upstream registry URL')
        .requiredOption(upstream, 'repository name upstream')
    : command
        .option('--name <name>', 'new name')
        .option(url, 'upstream registry URL')
        .option(upstream, 'repository name upstream')
  )
    .option('--include-tags <tags>', 'only these tags (globs, comma-separated)', list)
    .option('--exclude-tags <tags>', 'never these tags (globs, comma-separated)', list)
    .option('--policy <policy>', 'immediate, on_demand or streamed')
    .option('--remote-username <username>', 'upstream registry username')
    .option('--remote-password <password>', 'upstream registry password (stored, never shown)')
    .option('--tls-validation <bool>', 'verify the upstream TLS certificate (true/false)', boolean)
    .option('--ca-cert <file>', 'PEM file of CA certificates to trust upstream')
    .option('--download-concurrency <n>', 'parallel downloads', integer)
    .option(
      '--include-foreign-layers <bool>',
      'also download foreign/non-distributable layers from the registry (true/false)',
      boolean,
    )
    .option('--platforms <platforms>', 'only these os/arch[/variant] (comma-separated)', list);
  return command;
}

/** A yes/no option value; anything else is a usage error naming it. */
export function boolean(value: string): boolean {
  if (['true', 'yes', '1'].includes(value)) return true;
  if (['false', 'no', '0'].includes(value)) return false;
  throw new UsageError(`'${value}' is not true or false`);
}

/** `os/architecture[/variant]`, as docker and podman spell a platform. */
function platform(text: string): Json {
  const [os, architecture, variant, ...rest] = text.split('/');
  if (!os || !architecture || rest.length) {
    throw new UsageError(`'${text}' is not a platform: write os/architecture[/variant], e.g. linux/arm64/v8`);
  }
  return variant ? { os, architecture, variant } : { os, architecture };
}

function remoteBody(options: Record<string, unknown>): Json {
  const body: Json = {};
  const copy: Record<string, string> = {
    name: 'name',
    remoteUrl: 'url',
    upstreamName: 'upstream_name',
    includeTags: 'include_tags',
    excludeTags: 'exclude_tags',
    policy: 'policy',
    remoteUsername: 'username',
    remotePassword: 'password',
    tlsValidation: 'tls_validation',
    downloadConcurrency: 'download_concurrency',
    includeForeignLayers: 'include_foreign_layers',
  };
  for (const [option, field] of Object.entries(copy)) {
    if (options[option] !== undefined) body[field] = options[option];
  }
  if (Array.isArray(options.platforms)) body.platforms = (options.platforms as string[]).map(platform);
  if (typeof options.caCert === 'string') body.ca_cert = readFileSync(options.caCert, 'utf8');
  return body;
}

export function registerRemoteCommands(program: Command): void {
  const remote = program.command('remote').description('upstream registries to sync from');

  remoteOptions(
    remote.command('create').description('create a remote').argument('<name>', 'remote name'),
    true,
  ).action(async (name: string, options, command: Command) => {
    const { client, output } = contextOf(command);
    const created = await client.post(REMOTES, { ...remoteBody(options), name });
    output.message(`Created remote ${name} (${created.pulp_href as string})`, created);
  });

  remote
    .command('list')
    .description('list remotes')
    .option('--name-contains <text>', 'only names containing this text')
    .action(async (options, command: Command) => {
      const { client, output } = contextOf(command);
      output.table(await client.listAll(REMOTES, { name__contains: options.nameContains }), COLUMNS);
    });

  remote
    .command('show')
    .description('show a remote (secrets are never shown)')
    .argument('<remote>', 'name or href')
    .action(async (reference: string, _options, command: Command) => {
      const { client, output } = contextOf(command);
      output.record(await lookUpRemote(client, reference));
    });

  remoteOptions(
    remote.command('update').description('change a remote').argument('<remote>', 'name or href'),
    false,
  )
    .option('--no-wait', 'print the task href and return at once')
    .action(async (reference: string, options, command: Command) => {
      const { client, output } = contextOf(command);
      const body = remoteBody(options);
      if (Object.keys(body).length === 0)
        throw new UsageError('Nothing to change: give at least one option.');
      const operation = await client.patch<AsyncOperation>(await hrefOf(client, 'remote', reference), body);
      await finishOperation(client, output, operation, { wait: options.wait, label: 'Update' });
    });

  remote
    .command('delete')
    .description('delete a remote')
    .argument('<remote>', 'name or href')
    .option('--no-wait', 'print the task href and return at once')
    .action(async (reference: string, options, command: Command) => {
      const { client, output } = contextOf(command);
      const operation = await client.delete<AsyncOperation>(await hrefOf(client, 'remote', reference));
      await finishOperation(client, output, operation, { wait: options.wait, label: 'Delete' });
    });
}
