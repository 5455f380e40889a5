import { isAbsolute, resolve } from 'node:path';

/**
 * Every setting Wharf reads, from environment variables, validated once at start. A bad or missing value
 * stops the process with a message naming the variable, instead of failing later on first use.
 */
export interface Settings {
  readonly dataDir: string;
  readonly bus: 'memory' | 'nats';
  readonly natsUrl: string | undefined;
  readonly natsStreamPrefix: string;
  readonly eventStore: 'sqlite' | 'mongodb';
  readonly mongodbUrl: string | undefined;
  readonly mongodbDatabase: string;
  readonly blobStore: 'fs' | 's3';
  readonly s3:
    { url: string; accessKey: string; secretKey: string; bucket: string; region: string } | undefined;
  /** Port of this process's HTTP server: the REST API for the gateway and all-in-one, health and metrics elsewhere. */
  readonly httpPort: number;
  readonly registryPort: number;
  readonly logFormat: 'json' | 'text';
}

export class SettingsError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'SettingsError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Defaults that differ between the all-in-one process and a service running alone. */
export interface SettingsDefaults {
  readonly bus: Settings['bus'];
  readonly eventStore: Settings['eventStore'];
  readonly blobStore: Settings['blobStore'];
  readonly httpPortVariable: string;
  readonly httpPort: number;
}

function oneOf<T extends string>(env: Env, variable: string, allowed: readonly T[], fallback: T): T {
  const value = env[variable] ?? fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new SettingsError(variable, `must be one of ${allowed.join(', ')}, got '${value}'`);
  }
  return value as T;
}

function port(env: Env, variable: string, fallback: number): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    throw new SettingsError(variable, `must be a port number (0-65535), got '${raw}'`);
  }
  return value;
}

function required(env: Env, variable: string, because: string): string {
  const value = env[variable];
  if (!value) throw new SettingsError(variable, `is required ${because}`);
  return value;
}

function url(env: Env, variable: string, because: string, protocols: readonly string[]): string {
  const value = required(env, variable, because);
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new SettingsError(variable, `is not a URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new SettingsError(variable, `must use ${protocols.join(' or ')}, got ${parsed.protocol}`);
  }
  return value;
}

export function loadSettings(env: Env, defaults: SettingsDefaults): Settings {
  const dataDirRaw = env.WHARF_DATA_DIR || './data';
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(dataDirRaw);
  const bus = oneOf(env, 'WHARF_BUS', ['memory', 'nats'] as const, defaults.bus);
  const eventStore = oneOf(env, 'WHARF_EVENT_STORE', ['sqlite', 'mongodb'] as const, defaults.eventStore);
  const blobStore = oneOf(env, 'WHARF_BLOB_STORE', ['fs', 's3'] as const, defaults.blobStore);
  const s3Reason = 'when WHARF_BLOB_STORE=s3';
  return {
    dataDir,
    bus,
    natsUrl: bus === 'nats' ? url(env, 'NATS_URL', 'when WHARF_BUS=nats', ['nats:', 'tls:']) : undefined,
    natsStreamPrefix: env.WHARF_NATS_STREAM_PREFIX || 'wharf',
    eventStore,
    mongodbUrl:
      eventStore === 'mongodb'
        ? url(env, 'MONGODB_URL', 'when WHARF_EVENT_STORE=mongodb', ['mongodb:', 'mongodb+srv:'])
        : undefined,
    mongodbDatabase: env.MONGODB_DATABASE || 'wharf',
    blobStore,
    s3:
      blobStore === 's3'
        ? {
            url: url(env, 'WHARF_S3_URL', s3Reason, ['http:', 'https:']),
            accessKey: required(env, 'WHARF_S3_ACCESS_KEY', s3Reason),
            secretKey: required(env, 'WHARF_S3_SECRET_KEY', s3Reason),
            bucket: required(env, 'WHARF_S3_BUCKET', s3Reason),
            region: env.WHARF_S3_REGION || 'us-east-1',
          }
        : undefined,
    httpPort: port(env, defaults.httpPortVariable, defaults.httpPort),
    registryPort: port(env, 'WHARF_REGISTRY_PORT', 24816),
    logFormat: oneOf(env, 'WHARF_LOG_FORMAT', ['json', 'text'] as const, 'text'),
  };
}
