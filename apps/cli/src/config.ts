import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Connection } from './api-client.js';
import { UsageError } from './errors.js';

/**
 * Where the server and credentials come from, strongest first: flags, environment, the selected profile of
 * the config file. Profiles let one file name several servers; `--profile`, `WHARF_PROFILE` or the file's
 * `current_profile` pick one (`default` otherwise).
 */
export interface Profile {
  url?: string;
  username?: string;
  password?: string;
}

export interface ConfigFile {
  current_profile?: string;
  profiles: Record<string, Profile>;
}

export const PROFILE_KEYS = ['url', 'username', 'password'] as const;
export type ProfileKey = (typeof PROFILE_KEYS)[number];

export interface ConnectionFlags {
  url?: string;
  username?: string;
  password?: string;
  profile?: string;
}

export type Source = 'flag' | 'environment' | 'config file' | 'default';

export interface ResolvedConfig {
  readonly path: string;
  readonly profile: string;
  readonly connection: Connection;
  readonly sources: Record<ProfileKey, Source | undefined>;
}

const DEFAULT_URL = 'http://localhost:24817';

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.WHARF_CONFIG) return env.WHARF_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'wharf', 'config.json');
}

export function readConfigFile(path: string): ConfigFile {
  if (!existsSync(path)) return { profiles: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`The config file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  const file = parsed as Partial<ConfigFile>;
  if (
    !file ||
    typeof file !== 'object' ||
    (file.profiles !== undefined && typeof file.profiles !== 'object')
  ) {
    throw new UsageError(`The config file ${path} must be an object with a "profiles" object`);
  }
  return { ...file, profiles: file.profiles ?? {} };
}

/** Written readable by its owner only: it may hold a password. */
export function writeConfigFile(path: string, file: ConfigFile): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 });
  chmodSync(path, 0o600);
}

export function selectedProfile(flags: ConnectionFlags, file: ConfigFile, env = process.env): string {
  return flags.profile ?? env.WHARF_PROFILE ?? file.current_profile ?? 'default';
}

export function resolveConfig(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): ResolvedConfig {
  const path = configPath(env);
  const file = readConfigFile(path);
  const profile = selectedProfile(flags, file, env);
  const stored = file.profiles[profile];
  const explicitlyChosen = flags.profile !== undefined || env.WHARF_PROFILE !== undefined;
  if (!stored && explicitlyChosen) {
    const known = Object.keys(file.profiles);
    throw new UsageError(
      `No profile '${profile}' in ${path}` + (known.length ? ` (profiles: ${known.join(', ')})` : ''),
    );
  }
  const environment: Profile = {
    url: env.WHARF_URL,
    username: env.WHARF_USERNAME,
    password: env.WHARF_PASSWORD,
  };
  const sources = {} as Record<ProfileKey, Source | undefined>;
  const values = {} as Profile;
  for (const key of PROFILE_KEYS) {
    const [value, source] =
      flags[key] !== undefined
        ? [flags[key], 'flag' as const]
        : environment[key] !== undefined && environment[key] !== ''
          ? [environment[key], 'environment' as const]
          : stored?.[key] !== undefined
            ? [stored[key], 'config file' as const]
            : [undefined, undefined];
    values[key] = value;
    sources[key] = source;
  }
  if (values.url === undefined) {
    values.url = DEFAULT_URL;
    sources.url = 'default';
  }
  return {
    path,
    profile,
    connection: { url: values.url, username: values.username, password: values.password },
    sources,
  };
}
