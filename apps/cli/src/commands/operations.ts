import type { Command } from 'commander';
import type { AsyncOperation, Json } from '../api-client.js';
import { contextOf, hrefOf, integer } from '../context.js';
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
    .option('--event-type <type>', 'only this event type')
    .option('--stream <stream>', 'only this stream')
    .option('--limit <n>', 'at most n records', integer, 100)
    .action(async (options, command: Command) => {
      const { client, output } = contextOf(command);
      const page = await client.get<{ results: Json[] }>('audit/', {
        event_type: options.eventType,
        stream: options.stream,
        limit: options.limit,
      });
      output.table(page.results, [
        { header: 'occurred', value: (r: Json) => r.occurred_at },
        { header: 'event', value: (r: Json) => r.event_type },
        { header: 'stream', value: (r: Json) => r.stream },
        { header: 'actor', value: (r: Json) => r.actor },
      ]);
    });
}
