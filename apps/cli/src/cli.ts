import { Command, CommanderError, Option } from 'commander';
import { ApiError } from './api-client.js';
import { registerConfigCommands } from './commands/config.js';
import { registerContentCommands } from './commands/content.js';
import { registerServerCommands, registerSyncCommand, registerTaskCommands } from './commands/operations.js';
import { registerDistributionCommands, registerPublicationCommands } from './commands/publish.js';
import { registerRemoteCommands } from './commands/remote.js';
import { registerReplicationCommands } from './commands/replication.js';
import { registerRepositoryCommands } from './commands/repository.js';
import { registerUploadCommands } from './commands/upload.js';
import { bashCompletion, zshCompletion } from './completion.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, TaskFailedError, UsageError } from './errors.js';

export const VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command('wharf')
    .description('Command-line client for the Wharf REST API')
    .version(VERSION)
    // Usage mistakes throw instead of exiting, so main maps them to exit code 2.
    .exitOverride()
    // Program options stop at the subcommand, so a subcommand's own `--version` or `--name` is its own;
    // every command repeats the global options below, so they work after the subcommand too.
    .enablePositionalOptions()
    .showHelpAfterError('(run with --help for usage)')
    .option('--url <url>', 'server URL (env WHARF_URL)')
    .option('--username <name>', 'username (env WHARF_USERNAME)')
    .option('--password <password>', 'password (env WHARF_PASSWORD)')
    .option('--profile <name>', 'config file profile (env WHARF_PROFILE)')
    .option('--json', 'print JSON for scripts instead of tables')
    .addHelpText(
      'after',
      '\nExit codes: 0 success, 1 failure (API error, task failed or canceled), 2 usage error, 130 interrupted.',
    );

  registerConfigCommands(program);
  registerRepositoryCommands(program);
  registerRemoteCommands(program);
  registerSyncCommand(program);
  registerPublicationCommands(program);
  registerDistributionCommands(program);
  registerReplicationCommands(program);
  registerContentCommands(program);
  registerUploadCommands(program);
  registerTaskCommands(program);
  registerServerCommands(program);

  program
    .command('completion')
    .description('print a shell completion script')
    .argument('<shell>', 'bash or zsh')
    .action((shell: string) => {
      if (shell === 'bash') process.stdout.write(bashCompletion(program));
      else if (shell === 'zsh') process.stdout.write(zshCompletion(program));
      else throw new UsageError(`No completion for '${shell}': use bash or zsh.`);
    });
  for (const leaf of leaves(program)) addGlobalOptions(leaf);
  return program;
}

function leaves(command: Command): Command[] {
  return command.commands.length ? command.commands.flatMap(leaves) : [command];
}

const GLOBAL_OPTIONS: readonly [flags: string, description: string, hidden: boolean][] = [
  ['--url <url>', 'server URL (env WHARF_URL)', true],
  ['--username <name>', 'username (env WHARF_USERNAME)', true],
  ['--password <password>', 'password (env WHARF_PASSWORD)', true],
  ['--profile <name>', 'config file profile (env WHARF_PROFILE)', true],
  ['--json', 'print JSON for scripts instead of tables', false],
];

function addGlobalOptions(command: Command): void {
  for (const [flags, description, hidden] of GLOBAL_OPTIONS) {
    const option = new Option(flags, description);
    if (command.options.some((existing) => existing.long === option.long)) {
      throw new Error(`wharf ${command.name()}: ${option.long} would hide the global option of that name`);
    }
    command.addOption(hidden ? option.hideHelp() : option);
  }
}

/** Runs the command line and returns the exit code; every error becomes one line on stderr. */
export async function run(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    // Commander has already printed its own message (or the help it was asked for).
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    if (error instanceof UsageError) {
      process.stderr.write(`wharf: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof ApiError || error instanceof TaskFailedError) {
      process.stderr.write(`wharf: ${error.message}\n`);
      return EXIT_FAILURE;
    }
    process.stderr.write(`wharf: ${(error as Error).stack ?? String(error)}\n`);
    return EXIT_FAILURE;
  }
}
