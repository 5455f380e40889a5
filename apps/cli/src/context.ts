import { InvalidArgumentError, type Command } from 'commander';
import { API_ROOT, ApiClient, ApiError, type Json } from './api-client.js';
import { resolveConfig, type ConnectionFlags, type ResolvedConfig } from './config.js';
import { Output } from './output.js';

export interface GlobalOptions extends ConnectionFlags {
  json?: boolean;
}

/** What every command works with: the resolved server and credentials, a client, and where to print. */
export interface Context {
  readonly config: ResolvedConfig;
  readonly client: ApiClient;
  readonly output: Output;
}

export function contextOf(command: Command): Context {
  const options = command.optsWithGlobals<GlobalOptions>();
  const config = resolveConfig(options);
  return { config, client: new ApiClient(config.connection), output: new Output(Boolean(options.json)) };
}

/** Option and argument parsers: a bad value is a usage error (exit 2) naming the value. */
export function integer(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0) {
    throw new InvalidArgumentError(`'${value}' is not a whole number.`);
  }
  return parsed;
}

export function list(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').filter(Boolean)];
}

/** Sizes like 8388608, 8MiB, 512KiB or 5M. */
export function byteSize(value: string): number {
  const match = /^(\d+)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$/i.exec(value.trim());
  if (!match) throw new InvalidArgumentError(`'${value}' is not a size (e.g. 8MiB).`);
  const unit = (match[2] ?? 'b').toLowerCase()[0]!;
  const factor = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[unit]!;
  const bytes = Number(match[1]) * factor;
  if (bytes < 1) throw new InvalidArgumentError(`'${value}' is not a positive size.`);
  return bytes;
}

const isHref = (reference: string) => reference.startsWith(API_ROOT);

/**
 * A named resource by name or href: people type names, scripts pass the hrefs earlier commands printed.
 * `kind` is the collection below the API root (`repositories/container/container/`).
 */
export async function lookUp(
  client: ApiClient,
  kind: string,
  what: string,
  reference: string,
): Promise<Json> {
  if (isHref(reference)) return client.get(reference);
  const page = await client.get<{ results: Json[] }>(kind, { name: reference, offset: 0, limit: 1 });
  const found = page.results[0];
  if (!found) throw new ApiError(`No ${what} named '${reference}'`, 404);
  return found;
}

export const REPOSITORIES = 'repositories/container/container/';
export const REMOTES = 'remotes/container/container/';
export const DISTRIBUTIONS = 'distributions/container/container/';
export const PUBLICATIONS = 'publications/container/container/';

export const lookUpRepository = (client: ApiClient, reference: string) =>
  lookUp(client, REPOSITORIES, 'repository', reference);
export const lookUpRemote = (client: ApiClient, reference: string) =>
  lookUp(client, REMOTES, 'remote', reference);
export const lookUpDistribution = (client: ApiClient, reference: string) =>
  lookUp(client, DISTRIBUTIONS, 'distribution', reference);

export async function hrefOf(
  client: ApiClient,
  kind: 'repository' | 'remote',
  reference: string,
): Promise<string> {
  if (isHref(reference)) return reference;
  const found =
    kind === 'repository' ? await lookUpRepository(client, reference) : await lookUpRemote(client, reference);
  return found.pulp_href as string;
}

/** A repository version's href: `{repository_href}versions/{n}/`, the latest when `number` is undefined. */
export async function versionHref(client: ApiClient, repository: string, number?: number): Promise<string> {
  if (isHref(repository) && repository.includes('/versions/')) return repository;
  const found = await lookUpRepository(client, repository);
  if (number === undefined) return found.latest_version_href as string;
  return `${found.versions_href as string}${number}/`;
}
