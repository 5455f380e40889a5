import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { TEST_ADMIN_PASSWORD, basicAuthorization, startWharfProcess } from '@wharf/testing';

const REPOSITORIES = '/pulp/api/v3/repositories/container/container/';
const FIRST_START_NOTICE = /made a password for its REST API[\s\S]*?password: (\S+)/;

describe('the all-in-one admin password, when WHARF_ADMIN_PASSWORD is not set', () => {
  let dataDir: string;
  // An empty value unsets what the harness would otherwise pass, as on a laptop's first `npm start`.
  const unset = () => ({
    WHARF_DATA_DIR: dataDir,
    WHARF_REGISTRY_PORT: '0',
    WHARF_ADMIN_PASSWORD: '',
    WHARF_SECRET_KEY: '',
  });
  const listAs = (url: string, password: string) =>
    fetch(`${url}${REPOSITORIES}`, { headers: { Authorization: basicAuthorization(password) } });

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-first-start-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('is made and printed on the first start, kept owner-only, and works; later starts keep it quiet', async () => {
    const first = await startWharfProcess('wharf', unset());
    let password: string;
    try {
      const printed = FIRST_START_NOTICE.exec(first.output());
      expect(printed, `first start printed no password:\n${first.output()}`).not.toBeNull();
      password = printed![1]!;
      const file = join(dataDir, 'admin-password');
      expect(readFileSync(file, 'utf8').trim()).toBe(password);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(statSync(join(dataDir, 'secret-key')).mode & 0o777).toBe(0o600);

      expect((await listAs(first.url, password)).status).toBe(200);
      expect((await listAs(first.url, TEST_ADMIN_PASSWORD)).status).toBe(401);
      expect(first.output().split(password).length - 1, 'printed exactly once').toBe(1);
    } finally {
      await first.stop();
    }

    const second = await startWharfProcess('wharf', unset());
    try {
      expect((await listAs(second.url, password)).status).toBe(200);
      expect(second.output()).not.toContain(password);
      expect(second.output()).not.toMatch(FIRST_START_NOTICE);
    } finally {
      await second.stop();
    }
  }, 60_000);
});

describe('a gateway running alone', () => {
  it('refuses to start without WHARF_ADMIN_PASSWORD, naming it', () => {
    const result = spawnSync(process.execPath, ['apps/gateway/dist/main.js'], {
      env: {
        ...process.env,
        WHARF_BUS: 'nats',
        WHARF_EVENT_STORE: 'sqlite',
        WHARF_BLOB_STORE: 'fs',
        WHARF_ADMIN_PASSWORD: '',
      },
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/invalid setting WHARF_ADMIN_PASSWORD: is required/);
  });
});
