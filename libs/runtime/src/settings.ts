import { isAbsolute, resolve } from 'node:path';
import { inspect } from 'node:util';
import { decodeSecretKey } from './secret-box.js';

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
    | {
        url: string;
        accessKey: string;
        secretKey: string;
        bucket: string;
        region: string;
        /** Registry blob GETs answer 307 to a presigned URL of the bucket instead of streaming the bytes. */
        redirect: boolean;
      }
    | undefined;
  /** Port of this process's HTTP server: the REST API for the gateway and all-in-one, health and metrics elsewhere. */
  readonly httpPort: number;
  readonly registryPort: number;
  readonly logFormat: 'json' | 'text';
  /** HTTP Basic account of the REST API. */
  readonly adminUsername: string;
  readonly adminPassword: Secret | undefined;
  /** Base64 of the 32-byte key SecretBox seals remote credentials with. */
  readonly secretKey: Secret | undefined;
  /** How long a task whose worker went silent waits before another worker gets it. */
  readonly taskAckWaitMs: number;
  /** Age after which an upload that was never committed is aborted and its parts deleted. */
  readonly uploadExpiryMs: number;
  /** WHARF_EXPORT_ROOT: the only directory exports are written under and imports read from; unset disables both. */
  readonly exportRoot: string | undefined;
  /**
   * WHARF_EXPORT_BUCKET (`bucket` or `bucket/prefix`): where exports with `"storage": "s3"` go, on the S3
   * endpoint and credentials of WHARF_S3_URL, WHARF_S3_ACCESS_KEY, WHARF_S3_SECRET_KEY; unset disables them.
   */
  readonly exportBucket:
    | { url: string; accessKey: string; secretKey: string; bucket: string; prefix: string; region: string }
    | undefined;
  /** Where the audit service delivers every recorded event (CloudEvents, HMAC-signed with `secret`). */
  readonly auditWebhooks: readonly { readonly url: string; readonly secret: Secret }[];
}

/** Secrets a process may be told to require; everywhere else they are optional. */
export type SecretVariable = 'WHARF_ADMIN_PASSWORD' | 'WHARF_SECRET_KEY';

export const DEFAULT_ADMIN_USERNAME = 'admin';

/** A secret setting. Printing, logging or serialising it shows `[redacted]`; only `reveal()` gives the value. */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return 'Secret [redacted]';
  }
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
  /** Secrets this process cannot run without (the gateway's admin password, the key of sealed credentials). */
  readonly requiredSecrets?: readonly SecretVariable[];
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

/** Default task ack wait: a worker that died is noticed within this, one that lives says so meanwhile. */
export const DEFAULT_TASK_ACK_WAIT_MS = 30 * 60_000;

function positiveMilliseconds(env: Env, variable: string, fallback: number): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new SettingsError(variable, `must be a positive whole number of milliseconds, got '${raw}'`);
  }
  return value;
}

/** Default age of an abandoned upload when it is swept away, as Pulp's clients expect a day to finish one. */
export const DEFAULT_UPLOAD_EXPIRY_HOURS = 24;

// Hours may be fractional, so tests (and impatient operators) can expire uploads within seconds.
function positiveHoursAsMilliseconds(env: Env, variable: string, fallback: number): number {
  const raw = env[variable];
  if (raw === undefined || raw === '') return fallback * 3_600_000;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new SettingsError(variable, `must be a positive number of hours, got '${raw}'`);
  }
  return Math.max(1, Math.round(value * 3_600_000));
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

const SECRET_PURPOSES: Record<SecretVariable, string> = {
  WHARF_ADMIN_PASSWORD: 'it is the password of the REST API (HTTP Basic)',
  WHARF_SECRET_KEY:
    'it encrypts remote credentials at rest (32 random bytes in base64: openssl rand -base64 32)',
};

// Error messages name the variable but never echo a secret's value.
function secret(env: Env, variable: SecretVariable, defaults: SettingsDefaults): Secret | undefined {
  const value = env[variable];
  if (value) return new Secret(value);
  if (defaults.requiredSecrets?.includes(variable)) {
    throw new SettingsError(variable, `is required: ${SECRET_PURPOSES[variable]}`);
  }
  return undefined;
}

function secretKey(env: Env, defaults: SettingsDefaults): Secret | undefined {
  const key = secret(env, 'WHARF_SECRET_KEY', defaults);
  if (key && !decodeSecretKey(key.reveal())) {
    throw new SettingsError(
      'WHARF_SECRET_KEY',
      'must be 32 random bytes in base64 (openssl rand -base64 32)',
    );
  }
  return key;
}

function adminUsername(env: Env): string {
  const username = env.WHARF_ADMIN_USERNAME || DEFAULT_ADMIN_USERNAME;
  // HTTP Basic splits user from password at the first colon.
  if (username.includes(':')) throw new SettingsError('WHARF_ADMIN_USERNAME', 'must not contain a colon');
  return username;
}

/**
 * WHARF_S3_REDIRECT: off unless `true`. Set with another blob store it would silently do nothing, so it is
 * refused there.
 */
function s3Redirect(env: Env, blobStore: Settings['blobStore']): boolean {
  const redirect = oneOf(env, 'WHARF_S3_REDIRECT', ['true', 'false'] as const, 'false') === 'true';
  if (redirect && blobStore !== 's3') {
    throw new SettingsError('WHARF_S3_REDIRECT', 'applies only with WHARF_BLOB_STORE=s3');
  }
  return redirect;
}

/** WHARF_DATA_DIR as an absolute path; the all-in-one app needs it before the other settings. */
export function dataDirectory(env: Env): string {
  const dataDirRaw = env.WHARF_DATA_DIR || './data';
  return isAbsolute(dataDirRaw) ? dataDirRaw : resolve(dataDirRaw);
}

/** WHARF_AUDIT_WEBHOOKS: URLs separated by commas or spaces, all signed with WHARF_AUDIT_WEBHOOK_SECRET. */
function auditWebhooks(env: Env): Settings['auditWebhooks'] {
  const urls = (env.WHARF_AUDIT_WEBHOOKS ?? '').split(/[\s,]+/).filter(Boolean);
  if (urls.length === 0) return [];
  for (const value of urls) {
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new SettingsError('WHARF_AUDIT_WEBHOOKS', `'${value}' is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new SettingsError('WHARF_AUDIT_WEBHOOKS', `'${value}' must use http: or https:`);
    }
    if (parsed.username || parsed.password) {
      throw new SettingsError('WHARF_AUDIT_WEBHOOKS', 'URLs must not carry credentials');
    }
  }
  const secret = env.WHARF_AUDIT_WEBHOOK_SECRET;
  if (!secret) {
    throw new SettingsError(
      'WHARF_AUDIT_WEBHOOK_SECRET',
      'is required with WHARF_AUDIT_WEBHOOKS: receivers verify the HMAC-SHA256 signature with it',
    );
  }
  return urls.map((url) => ({ url, secret: new Secret(secret) }));
}

function exportBucket(env: Env): Settings['exportBucket'] {
  const value = env.WHARF_EXPORT_BUCKET;
  if (!value) return undefined;
  const [bucket = '', ...rest] = value.split('/');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new SettingsError('WHARF_EXPORT_BUCKET', 'must be a bucket name, optionally followed by /prefix');
  }
  const reason = 'when WHARF_EXPORT_BUCKET is set';
  return {
    url: url(env, 'WHARF_S3_URL', reason, ['http:', 'https:']),
    accessKey: required(env, 'WHARF_S3_ACCESS_KEY', reason),
    secretKey: required(env, 'WHARF_S3_SECRET_KEY', reason),
    bucket,
    prefix: rest.filter((segment) => segment !== '').join('/'),
    region: env.WHARF_S3_REGION || 'us-east-1',
  };
}

export function loadSettings(env: Env, defaults: SettingsDefaults): Settings {
  const dataDir = dataDirectory(env);
  const bus = oneOf(env, 'WHARF_BUS', ['memory', 'nats'] as const, defaults.bus);
  const eventStore = oneOf(env, 'WHARF_EVENT_STORE', ['sqlite', 'mongodb'] as const, defaults.eventStore);
  const blobStore = oneOf(env, 'WHARF_BLOB_STORE', ['fs', 's3'] as const, defaults.blobStore);
  const s3Reason = 'when WHARF_BLOB_STORE=s3';
  const redirect = s3Redirect(env, blobStore);
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
            redirect,
          }
        : undefined,
    httpPort: port(env, defaults.httpPortVariable, defaults.httpPort),
    registryPort: port(env, 'WHARF_REGISTRY_PORT', 24816),
    // A process on NATS is one of several services whose logs a collector gathers; alone, a person reads them.
    logFormat: oneOf(env, 'WHARF_LOG_FORMAT', ['json', 'text'] as const, bus === 'nats' ? 'json' : 'text'),
    adminUsername: adminUsername(env),
    adminPassword: secret(env, 'WHARF_ADMIN_PASSWORD', defaults),
    secretKey: secretKey(env, defaults),
    taskAckWaitMs: positiveMilliseconds(env, 'WHARF_TASK_ACK_WAIT_MS', DEFAULT_TASK_ACK_WAIT_MS),
    uploadExpiryMs: positiveHoursAsMilliseconds(
      env,
      'WHARF_UPLOAD_EXPIRY_HOURS',
      DEFAULT_UPLOAD_EXPIRY_HOURS,
    ),
    exportRoot: env.WHARF_EXPORT_ROOT ? resolve(env.WHARF_EXPORT_ROOT) : undefined,
    exportBucket: exportBucket(env),
    auditWebhooks: auditWebhooks(env),
  };
}
