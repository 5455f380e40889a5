import { InvalidArgumentError, type Command } from 'commander';
import type { AsyncOperation, Json } from '../api-client.js';
import { contextOf, hrefOf, integer } from '../context.js';
import { UsageError } from '../errors.js';
import { ProgressBar } from '../progress.js';
import { finishOperation, waitForTask, type Task } from '../tasks.js';

const TASK_COLUMNS = [
  { header: 'name', value: (t: Json) => t.name },
  { header: 'state', value: (t: Json) => t.state },
  { header: 'created', value: (t: Json) => t.pulp_created },
  { header: 'href', value: (t: Json) => t.pulp_href },
];

export function registerSyncCommand(program: Command): void {
  program
    .command('sync')
    .description('sync a repository from its remote (or --remote), with a live progress bar')
    .argument('<repository>', 'name or href')
    .option('--remote <remote>', 'remote to sync from (default: the repository’s)')
    .option('--mirror', 'make the version exactly what the remote has (remove what it no longer has)')
    .option('--signed-only', 'only content with signatures')
    .option('--no-wait', 'print the task href and return at once')
    .action(async (reference: string, options, command: Command) => {
      const { client, output } = contextOf(command);
      const href = await hrefOf(client, 'repository', reference);
      const body: Json = {};
      if (options.remote) body.remote = await hrefOf(client, 'remote', options.remote);
      if (options.mirror) body.mirror = true;
      if (options.signedOnly) body.signed_only = true;
      const operation = await client.post<AsyncOperation>(`${href}sync/`, body);
      await finishOperation(client, output, operation, { wait: options.wait, label: 'Sync' });
    });
}

export function registerTaskCommands(program: Command): void {
  const task = program.command('task').description('the server’s asynchronous work');

  task
    .command('list')
    .description('list tasks, newest first')
    .option('--state <state>', 'only in this state (waiting, running, completed, failed, canceled)')
    .option('--name <name>', 'only with this name')
    .option('--limit <n>', 'at most n tasks', integer, 50)
    .action(async (options, command: Command) => {
      const { client, output } = contextOf(command);
      const page = await client.get<{ results: Json[] }>('tasks/', {
        state: options.state,
        name: options.name,
        limit: options.limit,
      });
      output.table(page.results, TASK_COLUMNS);
    });

  task
    .command('show')
    .description('show a task')
    .argument('<href>', 'task href')
    .action(async (href: string, _options, command: Command) => {
      const { client, output } = contextOf(command);
      output.record(await client.get(href));
    });

  task
    .command('cancel')
    .description('cancel a waiting or running task')
    .argument('<href>', 'task href')
    .action(async (href: string, _options, command: Command) => {
      const { client, output } = contextOf(command);
      const canceled = await client.patch(href, { state: 'canceled' });
      output.message(`Task ${href} is ${canceled.state as string}`, canceled);
    });

  task
    .command('wait')
    .description('wait for a task to end (exit 1 if it failed or was canceled)')
    .argument('<href>', 'task href')
    .action(async (href: string, _options, command: Command) => {
      const { client, output } = contextOf(command);
      const bar = new ProgressBar(process.stderr, !output.json && Boolean(process.stderr.isTTY));
      const done: Task = await waitForTask(client, href, bar);
      output.message(`Task ${href} ${done.state}`, done);
    });
}

export function registerServerCommands(program: Command): void {
  program
    .command('status')
    .description('the server’s version and the health of what it depends on')
    .action(async (_options, command: Command) => {
      const { client, output } = contextOf(command);
      const status = await client.get('status/');
      if (output.json) return output.printJson(status);
      for (const version of (status.versions as Json[]) ?? []) {
        output.line(`${String(version.component).padEnd(12)} ${version.version as string}`);
      }
      for (const key of ['database_connection', 'bus_connection', 'storage']) {
        if (status[key] !== undefined) output.line(`${key.padEnd(20)} ${JSON.stringify(status[key])}`);
      }
    });

  program
    .command('orphans')
    .description('content no repository version holds')
    .command('cleanup')
    .description('delete orphaned content (older than the protection time)')
    .option('--protection-time <minutes>', 'keep orphans younger than this', integer)
    .option('--no-wait', 'print the task href and return at once')
    .action(async (options, command: Command) => {
      const { client, output } = contextOf(command);
      const body: Json = {};
      if (options.protectionTime !== undefined) body.orphan_protection_time = options.protectionTime;
      const operation = await client.post<AsyncOperation>('orphans/cleanup/', body);
      await finishOperation(client, output, operation, { wait: options.wait, label: 'Orphan cleanup' });
    });

  program
    .command('audit')
    .description('the audit log')
    .command('list')
    .description('list audit records, oldest first')
    .option('--event-type <type>', 'only this event type, e.g. RepositoryCreated')
    .option('--stream <stream>', 'only this stream')
    .option('--repository <repository>', 'only about this Wharf repository (name or href)')
    .option('--registry-repository <name>', 'only pulls and pushes of this registry repository name')
    .option('--actor <actor>', 'only caused by this API user or registry client')
    .option('--after <time>', 'only at or after this time (ISO 8601)', instant)
    .option('--before <time>', 'only before this time (ISO 8601)', instant)
    .option('--limit <n>', 'at most n records', integer, 100)
    .option('--offset <n>', 'skip the first n records', integer)
    .action(async (options, command: Command) => {
      const { client, output } = contextOf(command);
      if (options.repository !== undefined && options.registryRepository !== undefined) {
        throw new UsageError('Give --repository or --registry-repository, not both.');
      }
      // The API takes either in one parameter: a Wharf repository's href, or a name as registry clients use it.
      const repository =
        options.repository === undefined
          ? options.registryRepository
          : await hrefOf(client, 'repository', options.repository);
      const page = await client.get<{ results: Json[] }>('audit/', {
        event_type: options.eventType,
        stream: options.stream,
        repository,
        actor: options.actor,
        after: options.after,
        before: options.before,
        limit: options.limit,
        offset: options.offset,
      });
      output.table(page.results, [
        { header: 'occurred', value: (r: Json) => r.occurred_at },
        { header: 'event', value: (r: Json) => r.event_type },
        { header: 'actor', value: (r: Json) => r.actor },
        { header: 'repository', value: (r: Json) => r.repository },
        { header: 'tag', value: (r: Json) => r.tag },
        { header: 'digest', value: (r: Json) => r.digest },
      ]);
    });
}

/** An ISO 8601 date or date-time, as the audit API accepts it; checked here so a typo sends nothing. */
function instant(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(Date.parse(value))) {
    throw new InvalidArgumentError(`'${value}' is not an ISO 8601 time (e.g. 2026-12-04T18:00:00Z).`);
  }
  return value;
}
