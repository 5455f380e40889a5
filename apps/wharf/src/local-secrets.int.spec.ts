import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretBox } from '@wharf/runtime';
import { ADMIN_PASSWORD_FILE, SECRET_KEY_FILE, withLocalSecrets } from './local-secrets.js';

describe('withLocalSecrets (all-in-one first start)', () => {
  let dataDir: string;
  let announced: string[];
  const fill = (env: Record<string, string> = {}) =>
    withLocalSecrets({ WHARF_DATA_DIR: join(dataDir, 'data'), ...env }, (m) => announced.push(m));

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-secrets-'));
    announced = [];
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('makes both secrets once, keeps them owner-only, and announces the password only then', () => {
    const first = fill();
    const password = first.WHARF_ADMIN_PASSWORD!;
    expect(password.length).toBeGreaterThanOrEqual(32);
    expect(() => SecretBox.fromBase64Key(first.WHARF_SECRET_KEY!)).not.toThrow();
    for (const file of [ADMIN_PASSWORD_FILE, SECRET_KEY_FILE]) {
      expect(statSync(join(dataDir, 'data', file)).mode & 0o777, file).toBe(0o600);
    }
    expect(readFileSync(join(dataDir, 'data', ADMIN_PASSWORD_FILE), 'utf8').trim()).toBe(password);
    expect(announced).toHaveLength(1);
    expect(announced[0]).toContain(`user:     admin`);
    expect(announced[0]).toContain(`password: ${password}`);

    const second = fill();
    expect(second.WHARF_ADMIN_PASSWORD).toBe(password);
    expect(second.WHARF_SECRET_KEY).toBe(first.WHARF_SECRET_KEY);
    expect(announced).toHaveLength(1);
  });

  it('uses what the environment sets and writes nothing for it', () => {
    const key = SecretBox.generateKey();
    const env = fill({ WHARF_ADMIN_PASSWORD: 'chosen', WHARF_SECRET_KEY: key });
    expect(env.WHARF_ADMIN_PASSWORD).toBe('chosen');
    expect(env.WHARF_SECRET_KEY).toBe(key);
    expect(existsSync(join(dataDir, 'data'))).toBe(false);
    expect(announced).toEqual([]);
  });

  it('names the file when a kept secret is empty', () => {
    fill();
    writeFileSync(join(dataDir, 'data', ADMIN_PASSWORD_FILE), '\n');
    expect(() => fill()).toThrow(`${join(dataDir, 'data', ADMIN_PASSWORD_FILE)} is empty`);
  });
});
