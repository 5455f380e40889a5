import { isValidRepositoryName } from '@wharf/oci';
import {
  REMOTE_PULP_FIELD_NAMES,
  REMOTE_POLICIES,
  type PlatformFilter,
  type RemoteFields,
  type RemoteInput,
  type RemotePolicy,
} from '@wharf/contracts';
import { InvalidRemoteError } from './remote.errors.js';

export type RemoteField = keyof RemoteFields;

/** Fields a new remote must have, and a full update (PUT) must give. */
export const REQUIRED_REMOTE_FIELDS: readonly RemoteField[] = ['name', 'url', 'upstreamName'];

/** What a new remote holds for each field the client left out. */
export const REMOTE_DEFAULTS: Omit<RemoteFields, 'name' | 'url' | 'upstreamName'> = {
  includeTags: null,
  excludeTags: null,
  policy: 'immediate',
  tlsValidation: true,
  caCert: null,
  clientCert: null,
  proxyUrl: null,
  downloadConcurrency: null,
  rateLimit: null,
  maxRetries: null,
  totalTimeout: null,
  connectTimeout: null,
  sockConnectTimeout: null,
  sockReadTimeout: null,
  headers: [],
  pulpLabels: {},
  platforms: null,
  includeForeignLayers: false,
  username: null,
  password: null,
  clientKey: null,
  proxyUsername: null,
  proxyPassword: null,
};

/** One field's value refused; `messages` go to the client under the field's Pulp name. */
class FieldProblem extends Error {
  constructor(readonly messages: readonly string[]) {
    super(messages.join(' '));
  }
}

const REQUIRED = 'This field is required.';
const NOT_NULL = 'This field may not be null.';

function nullable<T>(parse: (value: unknown) => T): (value: unknown) => T | null {
  return (value) => (value === null ? null : parse(value));
}

function notNull<T>(parse: (value: unknown) => T): (value: unknown) => T {
  return (value) => {
    if (value === null) throw new FieldProblem([NOT_NULL]);
    return parse(value);
  };
}

function text(value: unknown): string {
  if (typeof value !== 'string') throw new FieldProblem(['Not a valid string.']);
  if (value.trim() === '') throw new FieldProblem(['This field may not be blank.']);
  return value;
}

function integerAtLeast(min: number): (value: unknown) => number {
  return (value) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
      throw new FieldProblem(['A valid integer is required.']);
    }
    if (value < min) throw new FieldProblem([`Ensure this value is greater than or equal to ${min}.`]);
    return value;
  };
}

function nonNegativeNumber(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new FieldProblem(['A valid number is required.']);
  }
  if (value < 0) throw new FieldProblem(['Ensure this value is greater than or equal to 0.']);
  return value;
}

function boolean(value: unknown): boolean {
  if (typeof value !== 'boolean') throw new FieldProblem(['Must be a valid boolean.']);
  return value;
}

function policy(value: unknown): RemotePolicy {
  if (typeof value !== 'string' || !(REMOTE_POLICIES as readonly string[]).includes(value)) {
    throw new FieldProblem([`Expected one of ${REMOTE_POLICIES.join(', ')}.`]);
  }
  return value as RemotePolicy;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function list(value: unknown): readonly unknown[] {
  if (!Array.isArray(value)) throw new FieldProblem(['Expected a list of items.']);
  return value;
}

/** Checks every item, reporting each bad one by its 0-based index. */
function eachItem<T>(items: readonly unknown[], parse: (item: unknown) => T): T[] {
  const problems: string[] = [];
  const parsed = items.map((item, index) => {
    try {
      return parse(item);
    } catch (error) {
      if (!(error instanceof FieldProblem)) throw error;
      problems.push(...error.messages.map((message) => `Item ${index}: ${message}`));
      return undefined as T;
    }
  });
  if (problems.length > 0) throw new FieldProblem(problems);
  return parsed;
}

/**
 * An upstream registry or proxy address. Messages never repeat the value: a URL refused for carrying
 * credentials would otherwise echo them into a response and the logs.
 */
function httpUrl(value: unknown): string {
  const url = text(value);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new FieldProblem(['Enter a valid URL.']);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new FieldProblem(['The URL must start with http:// or https://.']);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new FieldProblem([
      'The URL must not hold credentials; give them in the credential fields instead.',
    ]);
  }
  return url;
}

function upstreamName(value: unknown): string {
  const name = text(value);
  if (!isValidRepositoryName(name)) {
    throw new FieldProblem([
      'Not a valid repository name: lowercase letters and digits in path components joined by "/", ' +
        'with ".", "_", "__" or dashes inside a component.',
    ]);
  }
  return name;
}

// Tag globs match OCI tags, so anything a tag may contain plus the wildcards; no spaces, which no tag has.
const TAG_PATTERN = /^[\w.*?[\]!-]{1,255}$/;

function tagPatterns(value: unknown): readonly string[] {
  return eachItem(list(value), (item) => {
    if (typeof item !== 'string' || !TAG_PATTERN.test(item)) {
      throw new FieldProblem([
        'Expected a tag pattern: tag characters and the wildcards *, ? and [...], at most 255 characters.',
      ]);
    }
    return item;
  });
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

function pemCertificate(value: unknown): string {
  const pem = text(value);
  if (!PEM_CERTIFICATE.test(pem)) {
    throw new FieldProblem(['Expected a PEM encoded certificate (-----BEGIN CERTIFICATE----- ...).']);
  }
  return pem;
}

// RFC 9110 field names are tokens; values must not break out of their header line.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[^\r\n\0]*$/;

function headers(value: unknown): readonly Readonly<Record<string, string>>[] {
  return eachItem(list(value), (item) => {
    if (!isPlainObject(item) || Object.keys(item).length === 0) {
      throw new FieldProblem(['Expected an object of header names and values.']);
    }
    for (const [name, headerValue] of Object.entries(item)) {
      if (!HEADER_NAME.test(name)) throw new FieldProblem([`${JSON.stringify(name)} is not a header name.`]);
      if (typeof headerValue !== 'string' || !HEADER_VALUE.test(headerValue)) {
        throw new FieldProblem([`The value of ${name} must be a string on one line.`]);
      }
    }
    return item as Record<string, string>;
  });
}

// Label selectors are written `key=value,key2`, so keys and values stay clear of the separators.
const LABEL_KEY = /^[\w ]+$/;
const LABEL_VALUE = /^[^,()]*$/;

function labels(value: unknown): Readonly<Record<string, string>> {
  if (!isPlainObject(value)) throw new FieldProblem(['Expected an object of label names and values.']);
  const problems: string[] = [];
  for (const [key, labelValue] of Object.entries(value)) {
    if (!LABEL_KEY.test(key)) {
      problems.push(`Label ${JSON.stringify(key)}: names hold letters, digits, underscores and spaces only.`);
    } else if (typeof labelValue !== 'string' || !LABEL_VALUE.test(labelValue)) {
      problems.push(
        `Label ${JSON.stringify(key)}: the value must be a string without commas or parentheses.`,
      );
    }
  }
  if (problems.length > 0) throw new FieldProblem(problems);
  return value as Record<string, string>;
}

const PLATFORM_PART = /^[a-z0-9._-]{1,64}$/;

function platform(item: unknown): PlatformFilter {
  if (!isPlainObject(item)) throw new FieldProblem(['Expected an object with os, architecture and variant.']);
  const unknown = Object.keys(item).filter((key) => !['os', 'architecture', 'variant'].includes(key));
  if (unknown.length > 0) throw new FieldProblem([`Unexpected ${unknown.join(', ')}.`]);
  const part = (key: 'os' | 'architecture' | 'variant'): string => {
    const value = item[key];
    if (typeof value !== 'string' || !PLATFORM_PART.test(value)) {
      throw new FieldProblem([`${key} must be a lowercase name such as linux, amd64 or v8.`]);
    }
    return value;
  };
  const os = part('os');
  const architecture = part('architecture');
  return item.variant === undefined ? { os, architecture } : { os, architecture, variant: part('variant') };
}

function platforms(value: unknown): readonly PlatformFilter[] {
  return eachItem(list(value), platform);
}

const PARSERS: { readonly [K in RemoteField]: (value: unknown) => RemoteFields[K] } = {
  name: notNull(text),
  url: notNull(httpUrl),
  upstreamName: notNull(upstreamName),
  includeTags: nullable(tagPatterns),
  excludeTags: nullable(tagPatterns),
  policy: notNull(policy),
  tlsValidation: notNull(boolean),
  caCert: nullable(pemCertificate),
  clientCert: nullable(pemCertificate),
  proxyUrl: nullable(httpUrl),
  downloadConcurrency: nullable(integerAtLeast(1)),
  rateLimit: nullable(integerAtLeast(0)),
  maxRetries: nullable(integerAtLeast(0)),
  totalTimeout: nullable(nonNegativeNumber),
  connectTimeout: nullable(nonNegativeNumber),
  sockConnectTimeout: nullable(nonNegativeNumber),
  sockReadTimeout: nullable(nonNegativeNumber),
  headers: notNull(headers),
  pulpLabels: notNull(labels),
  platforms: nullable(platforms),
  includeForeignLayers: notNull(boolean),
  // Credentials are checked as plain strings only: by the time a command is decided they are sealed.
  username: nullable(text),
  password: nullable(text),
  clientKey: nullable(text),
  proxyUsername: nullable(text),
  proxyPassword: nullable(text),
};

function isRemoteField(key: string): key is RemoteField {
  return Object.hasOwn(PARSERS, key);
}

/**
 * Checks the fields a client gave (any subset; `required` ones must be there) and returns them typed.
 * Throws InvalidRemoteError listing every bad field under its Pulp name, so a client fixes all in one go.
 */
export function parseRemoteInput(input: unknown, required: readonly RemoteField[] = []): RemoteInput {
  if (!isPlainObject(input)) {
    throw new InvalidRemoteError({ non_field_errors: ['Expected an object of remote fields.'] });
  }
  const errors: Record<string, string[]> = {};
  const parsed: Record<string, unknown> = {};
  for (const field of required) {
    if (input[field] === undefined) errors[REMOTE_PULP_FIELD_NAMES[field]] = [REQUIRED];
  }
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if (!isRemoteField(key)) {
      errors[key] = ['Unexpected field.'];
      continue;
    }
    try {
      parsed[key] = PARSERS[key](value);
    } catch (error) {
      if (!(error instanceof FieldProblem)) throw error;
      errors[REMOTE_PULP_FIELD_NAMES[key]] = [...error.messages];
    }
  }
  if (Object.keys(errors).length > 0) throw new InvalidRemoteError(errors);
  return parsed as RemoteInput;
}

/**
 * Rules across fields, on the remote as it would be after the change: proxy credentials only with a proxy,
 * and both of them or neither (a proxy asks for the pair).
 */
export function assertConsistent(fields: RemoteFields): void {
  const errors: Record<string, string[]> = {};
  const hasProxyCredentials = fields.proxyUsername !== null || fields.proxyPassword !== null;
  if (hasProxyCredentials && fields.proxyUrl === null) {
    errors[REMOTE_PULP_FIELD_NAMES.proxyUrl] = ['Required when proxy_username or proxy_password is set.'];
  }
  if ((fields.proxyUsername === null) !== (fields.proxyPassword === null)) {
    const missing = fields.proxyUsername === null ? 'proxyUsername' : 'proxyPassword';
    errors[REMOTE_PULP_FIELD_NAMES[missing]] = ['proxy_username and proxy_password must be set together.'];
  }
  if (Object.keys(errors).length > 0) throw new InvalidRemoteError(errors);
}
