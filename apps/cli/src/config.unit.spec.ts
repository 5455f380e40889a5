import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig, writeConfigFile } from './config.js';
import { UsageError } from './errors.js';

describe('configuration: flags, then environment, then the selected profile', () => {
  let directory: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'wharf-cli-config-'));
    env = { WHARF_CONFIG: join(directory, 'config.json') };
    writeConfigFile(env.WHARF_CONFIG!, {
      current_profile: 'staging',
      profiles: {
        staging: { url: 'https://staging.example', username: 'ops', password: 'file-secret' },
        prod: { url: 'https://prod.example', username: 'deploy' },
      },
    });
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it("uses the file's current profile when nothing else says", () => {
    const resolved = resolveConfig({}, env);
    expect(resolved.profile).toBe('staging');
    expect(resolved.connection).toEqual({
      url: 'https://staging.example',
      username: 'ops',
      password: 'file-secret',
    });
    expect(resolved.sources).toEqual({
      url: 'config file',
      username: 'config file',
      password: 'config file',
    });
  });

  it('lets WHARF_PROFILE and then --profile pick another profile', () => {
    expect(resolveConfig({}, { ...env, WHARF_PROFILE: 'prod' }).connection.url).toBe('https://prod.example');
    expect(resolveConfig({ profile: 'staging' }, { ...env, WHARF_PROFILE: 'prod' }).profile).toBe('staging');
  });

  it('overrides single settings from the environment and flags', () => {
    const resolved = resolveConfig(
      { password: 'flag-secret' },
      { ...env, WHARF_USERNAME: 'env-user', WHARF_PASSWORD: 'env-secret' },
    );
    expect(resolved.connection).toEqual({
      url: 'https://staging.example',
      username: 'env-user',
      password: 'flag-secret',
    });
    expect(resolved.sources).toEqual({ url: 'config file', username: 'environment', password: 'flag' });
  });

  it('refuses a profile the file does not have, and falls back to localhost without a file', () => {
    expect(() => resolveConfig({ profile: 'qa' }, env)).toThrow(UsageError);
    expect(() => resolveConfig({ profile: 'qa' }, env)).toThrow("No profile 'qa'");
    const bare = resolveConfig({}, { WHARF_CONFIG: join(directory, 'absent.json') });
    expect(bare.connection).toEqual({
      url: 'http://localhost:24817',
      username: undefined,
      password: undefined,
    });
    expect(bare.sources.url).toBe('default');
  });
});
