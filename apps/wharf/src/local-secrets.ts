import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DEFAULT_ADMIN_USERNAME, SecretBox, dataDirectory, type Env } from '@wharf/runtime';

export const ADMIN_PASSWORD_FILE = 'admin-password';
export const SECRET_KEY_FILE = 'secret-key';

/**
 * The all-in-one app's secrets, for whichever of WHARF_ADMIN_PASSWORD and WHARF_SECRET_KEY the environment
 * leaves unset: made on first start, kept in the data directory readable only by their owner (0600), and
 * reused on later starts, so `npm start` needs no setup and is still locked. The admin password is
 * announced once, on the start that makes it, and never again. The secret key is never shown; losing it
 * makes the remote credentials sealed under it unreadable, so it is backed up with the data directory.
 */
export function withLocalSecrets(env: Env, announce: (message: string) => void = console.log): Env {
  const dataDir = dataDirectory(env);
  const filled: Record<string, string | undefined> = { ...env };
  if (!env.WHARF_ADMIN_PASSWORD) {
    const path = join(dataDir, ADMIN_PASSWORD_FILE);
    const password = readOrCreate(path, () => randomBytes(24).toString('base64url'));
    if (password.created) {
      announce(firstStartMessage(env.WHARF_ADMIN_USERNAME || DEFAULT_ADMIN_USERNAME, password.value, path));
    }
    filled.WHARF_ADMIN_PASSWORD = password.value;
  }
  if (!env.WHARF_SECRET_KEY) {
    filled.WHARF_SECRET_KEY = readOrCreate(join(dataDir, SECRET_KEY_FILE), SecretBox.generateKey).value;
  }
  return filled;
}

function firstStartMessage(username: string, password: string, path: string): string {
  return [
    'Wharf made a password for its REST API on this first start. It is shown only this once.',
    `  user:     ${username}`,
    `  password: ${password}`,
    `It is kept in ${path} (readable only by you). Set WHARF_ADMIN_PASSWORD to choose your own.`,
  ].join('\n');
}

/**
 * A new file is written aside and then hard-linked into place, which fails if the name exists: two
 * processes starting at once on one data directory agree on one value, and neither reads a half-written file.
 */
function readOrCreate(path: string, generate: () => string): { value: string; created: boolean } {
  try {
    return { value: readSecret(path), created: false };
  } catch (error) {
    if (errorCode(error) !== 'ENOENT') throw error;
  }
  mkdirSync(dirname(path), { recursive: true });
  const draft = `${path}.${process.pid}.draft`;
  writeFileSync(draft, `${generate()}\n`, { mode: 0o600 });
  try {
    linkSync(draft, path);
    return { value: readSecret(path), created: true };
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
    return { value: readSecret(path), created: false };
  } finally {
    rmSync(draft, { force: true });
  }
}

function readSecret(path: string): string {
  const value = readFileSync(path, 'utf8').trim();
  if (!value) throw new Error(`${path} is empty: delete it to have a new one made on the next start`);
  return value;
}

function errorCode(error: unknown): unknown {
  return (error as { code?: unknown } | undefined)?.code;
}
