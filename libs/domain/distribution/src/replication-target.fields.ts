import {
  REPLICATION_TARGET_PULP_FIELD_NAMES,
  ValidationError,
  type ReplicationTargetField,
  type ReplicationTargetInput,
} from '@wharf/contracts';
import { isValidRepositoryName } from '@wharf/oci';

/** A target's settings as stored: every field present, credentials sealed (opaque strings) or null. */
export interface ReplicationTargetSettings {
  readonly name: string;
  readonly url: string;
  readonly path: string;
  readonly username: string | null;
  readonly password: string | null;
  readonly tlsValidation: boolean;
  readonly caCert: string | null;
  readonly mirror: boolean;
  readonly auto: boolean;
  readonly repositoryId: string | null;
  readonly distributionId: string | null;
}

export const REPLICATION_TARGET_DEFAULTS: Omit<ReplicationTargetSettings, 'name' | 'url' | 'path'> = {
  username: null,
  password: null,
  tlsValidation: true,
  caCert: null,
  mirror: false,
  auto: false,
  repositoryId: null,
  distributionId: null,
};

export const REQUIRED_REPLICATION_TARGET_FIELDS: readonly ReplicationTargetField[] = ['name', 'url', 'path'];

export class InvalidReplicationTargetError extends ValidationError {}

class FieldProblem extends Error {
  constructor(readonly messages: string[]) {
    super(messages.join(' '));
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

function text(value: unknown): string {
  if (typeof value !== 'string') throw new FieldProblem(['Not a valid string.']);
  if (value.trim() === '') throw new FieldProblem(['This field may not be blank.']);
  if (value.length > 255) throw new FieldProblem(['Ensure this field has no more than 255 characters.']);
  return value;
}

function boolean(value: unknown): boolean {
  if (typeof value !== 'boolean') throw new FieldProblem(['Must be a valid boolean.']);
  return value;
}

function httpUrl(value: unknown): string {
  let url: URL;
  try {
    url = new URL(text(value));
  } catch (error) {
    if (error instanceof FieldProblem) throw error;
    throw new FieldProblem(['Enter a valid URL.']);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FieldProblem(['The URL must start with http:// or https://.']);
  }
  // Refused without echoing the URL: it carries a secret that belongs in username/password.
  if (url.username || url.password) {
    throw new FieldProblem(['The URL must not contain credentials; use username and password.']);
  }
  return value as string;
}

function repositoryPath(value: unknown): string {
  const path = text(value);
  if (!isValidRepositoryName(path)) {
    throw new FieldProblem(['Expected a repository name such as team/app (OCI distribution name grammar).']);
  }
  return path;
}

function pemCertificate(value: unknown): string {
  if (typeof value !== 'string' || !PEM_CERTIFICATE.test(value)) {
    throw new FieldProblem(['Expected a PEM encoded certificate (-----BEGIN CERTIFICATE----- ...).']);
  }
  return value;
}

function uuid(value: unknown): string {
  if (typeof value !== 'string' || !UUID.test(value)) throw new FieldProblem(['Expected an id.']);
  return value;
}

const nullable =
  <T>(parse: (value: unknown) => T) =>
  (value: unknown): T | null =>
    value === null ? null : parse(value);
const notNull =
  <T>(parse: (value: unknown) => T) =>
  (value: unknown): T => {
    if (value === null) throw new FieldProblem(['This field may not be null.']);
    return parse(value);
  };

const PARSERS: Readonly<Record<ReplicationTargetField, (value: unknown) => unknown>> = {
  name: notNull(text),
  url: notNull(httpUrl),
  path: notNull(repositoryPath),
  username: nullable(text),
  password: nullable(text),
  tlsValidation: notNull(boolean),
  caCert: nullable(pemCertificate),
  mirror: notNull(boolean),
  auto: notNull(boolean),
  repositoryId: nullable(uuid),
  distributionId: nullable(uuid),
};

/** Checks every given field (and that the required ones are given), reporting all problems at once. */
export function parseReplicationTargetInput(
  input: unknown,
  required: readonly ReplicationTargetField[] = [],
): ReplicationTargetInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidReplicationTargetError({ non_field_errors: ['Expected an object of target fields.'] });
  }
  const problems: Record<string, string[]> = {};
  const parsed: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(input)) {
    const parse = PARSERS[field as ReplicationTargetField];
    if (!parse) {
      problems[field] = ['Unexpected field.'];
      continue;
    }
    if (value === undefined) continue;
    try {
      parsed[field] = parse(value);
    } catch (error) {
      if (!(error instanceof FieldProblem)) throw error;
      problems[REPLICATION_TARGET_PULP_FIELD_NAMES[field as ReplicationTargetField]] = error.messages;
    }
  }
  for (const field of required) {
    if (!(field in (input as object)))
      problems[REPLICATION_TARGET_PULP_FIELD_NAMES[field]] = ['This field is required.'];
  }
  if (Object.keys(problems).length > 0) throw new InvalidReplicationTargetError(problems);
  return parsed as ReplicationTargetInput;
}

/** Rules across fields, checked on the target as it would be after a change. */
export function assertConsistentTarget(settings: ReplicationTargetSettings): void {
  const problems: Record<string, string[]> = {};
  if ((settings.repositoryId === null) === (settings.distributionId === null)) {
    problems.non_field_errors = ['Give exactly one of repository and distribution.'];
  }
  if ((settings.username === null) !== (settings.password === null)) {
    problems.password = ['username and password must be set together.'];
  }
  if (Object.keys(problems).length > 0) throw new InvalidReplicationTargetError(problems);
}
