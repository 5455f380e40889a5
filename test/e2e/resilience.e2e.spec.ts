import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { basicAuthorization, startNatsServer, startWharfProcess, type WharfProcess } from '@wharf/testing';
import { eventually } from './wharf-deployments.js';

const REPOSITORIES = '/pulp/api/v3/repositories/container/container/';

describe('a NATS outage (multi-process)', () => {
  let nats: Awaited<ReturnType<typeof startNatsServer>>;
  let gateway: WharfProcess;
  let content: WharfProcess;
  let dataDir: string;

  beforeAll(async () => {
    // This test stops its broker, so it gets its own instead of the shared one.
    nats = await startNatsServer({ keepStore: true });
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-outage-'));
    const env = {
      WHARF_BUS: 'nats',
      NATS_URL: nats.url,
      WHARF_EVENT_STORE: 'sqlite',
      WHARF_BLOB_STORE: 'fs',
    };
    [gateway, content] = await Promise.all([
      startWharfProcess('gateway', { ...env, WHARF_DATA_DIR: join(dataDir, 'gateway') }),
      startWharfProcess('content', { ...env, WHARF_DATA_DIR: join(dataDir, 'content') }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([gateway?.stop(), content?.stop()]);
    await nats?.stop();
    rmSync(nats.storeDir, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('turns /readyz red and requests into 503s, then recovers by itself', async () => {
    const post = (name: string) =>
      fetch(`${gateway.url}${REPOSITORIES}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: basicAuthorization() },
        body: JSON.stringify({ name }),
      });
    expect((await post('before')).status).toBe(201);

    await nats.stop();
    await eventually('gateway /readyz to turn red', async () =>
      (await fetch(`${gateway.url}/readyz`)).status === 503 ? true : undefined,
    );
    const during = await post('during');
    expect(during.status).toBe(503);
    expect(await during.json()).toHaveProperty('detail');
    expect((await fetch(`${content.url}/healthz`)).status).toBe(200);

    nats = await startNatsServer({ port: nats.port, storeDir: nats.storeDir, keepStore: true });
    await eventually(
      'both services ready again',
      async () => {
        const states = await Promise.all(
          [gateway, content].map(async (p) => (await fetch(`${p.url}/readyz`)).status),
        );
        return states.every((s) => s === 200) ? true : undefined;
      },
      20_000,
    );
    const after = await eventually('a request to succeed again', async () => {
      const response = await post('after');
      return response.status === 201 ? response : undefined;
    });
    expect(after.status).toBe(201);
  }, 60_000);
});

describe('settings and shutdown', () => {
  it('refuses to start on a bad setting, naming the variable', () => {
    const result = spawnSync(process.execPath, ['apps/content/dist/main.js'], {
      env: { ...process.env, WHARF_BUS: 'carrier-pigeon' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/WHARF_BUS: must be one of memory, nats/);
  });

  it('names a missing setting the chosen adapter needs', () => {
    const result = spawnSync(process.execPath, ['apps/sync/dist/main.js'], {
      env: { ...process.env, WHARF_BUS: 'nats', NATS_URL: '', WHARF_EVENT_STORE: 'sqlite' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/NATS_URL: is required when WHARF_BUS=nats/);
  });

  it('shuts down cleanly on SIGTERM and keeps its data for the next start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'wharf-sigterm-'));
    try {
      const first = await startWharfProcess('wharf', { WHARF_DATA_DIR: dataDir, WHARF_REGISTRY_PORT: '0' });
      const created = await fetch(`${first.url}${REPOSITORIES}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: basicAuthorization() },
        body: JSON.stringify({ name: 'kept' }),
      });
      const { pulp_href } = (await created.json()) as { pulp_href: string };
      expect(await first.stop('SIGTERM')).toBe(0);

      const second = await startWharfProcess('wharf', { WHARF_DATA_DIR: dataDir, WHARF_REGISTRY_PORT: '0' });
      try {
        const read = await fetch(`${second.url}${pulp_href}`, {
          headers: { Authorization: basicAuthorization() },
        });
        expect(read.status).toBe(200);
        expect(((await read.json()) as { name: string }).name).toBe('kept');
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
