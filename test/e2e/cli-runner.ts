import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_ADMIN_PASSWORD } from '@wharf/testing';

/** The built `wharf` binary, run as a user runs it: a child process with its own HOME. */
export const CLI_MAIN = join(import.meta.dirname, '..', '..', 'apps', 'cli', 'dist', 'main.js');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Cli {
  /** A private HOME: config under .config/wharf, upload state under .cache/wharf. */
  readonly home: string;
  readonly env: Record<string, string>;
  run(args: readonly string[], env?: Record<string, string>): Promise<CliResult>;
  /** Runs `args` and parses stdout as JSON (the command must succeed). */
  json<T = Record<string, unknown>>(args: readonly string[]): Promise<T>;
  /** Runs in a pseudo-terminal (util-linux `script`), where progress bars draw; stdout and stderr merged. */
  runInTerminal(args: readonly string[]): Promise<CliResult>;
  /** Starts without waiting; for tests that interrupt it. */
  start(args: readonly string[]): ReturnType<typeof spawn>;
  cleanup(): void;
}

/** A CLI pointed at `apiUrl` as the test admin through the environment, unless `env` says otherwise. */
export function cliFor(apiUrl: string, env: Record<string, string> = {}): Cli {
  const home = mkdtempSync(join(tmpdir(), 'wharf-cli-home-'));
  const baseEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: home,
    WHARF_URL: apiUrl,
    WHARF_USERNAME: 'admin',
    WHARF_PASSWORD: TEST_ADMIN_PASSWORD,
    ...env,
  };
  const spawnCli = (args: readonly string[], extra: Record<string, string> = {}) =>
    spawn(process.execPath, [CLI_MAIN, ...args], {
      env: { ...baseEnv, ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const collect = (child: ReturnType<typeof spawn>): Promise<CliResult> =>
    new Promise((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
  const cli: Cli = {
    home,
    env: baseEnv,
    run: (args, extra) => collect(spawnCli(args, extra)),
    async json<T>(args: readonly string[]): Promise<T> {
      const result = await cli.run(['--json', ...args]);
      if (result.code !== 0) {
        throw new Error(`wharf ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
      }
      return JSON.parse(result.stdout) as T;
    },
    runInTerminal(args) {
      const quoted = [process.execPath, CLI_MAIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`);
      const child = spawn('script', ['-qec', quoted.join(' '), '/dev/null'], {
        env: { ...baseEnv, COLUMNS: '120' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      return collect(child);
    },
    start: (args) => spawnCli(args),
    cleanup: () => rmSync(home, { recursive: true, force: true }),
  };
  return cli;
}
