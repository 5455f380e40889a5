import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { INestApplication } from '@nestjs/common';
import { BlobStore } from '@wharf/ports';
import { createProcessApplication, loadSettings, metricsRegistry, Queries } from '@wharf/runtime';
import { AuditModule } from '@wharf/service-audit';
import { ContentModule } from '@wharf/service-content';
import { TasksModule } from '@wharf/service-tasks';
import { PublicationModule } from '@wharf/service-publication';
import {
  DISTRIBUTION_TASKS,
  DISTRIBUTION_WORKER,
  DISTRIBUTIONS_RESOURCE,
  manifestKey,
  type AuditRecord,
} from '@wharf/contracts';
import { blobsOf, manifestsOf, randomImage } from '@wharf/testing';
import { DistributionModule } from './distribution.module.js';
import { RegistryServer } from './registry/registry.server.js';

const ADMIN_PASSWORD = randomBytes(12).toString('hex');
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** Manifest pulls reach the audit log as ManifestPulled records: which name, digest and tag, and which client. */
describe('the registry records manifest pulls for the audit log', () => {
  let dataDir: string;
  let app: INestApplication;
  let queries: Queries;
  let registry: string;
  const image = randomImage({ layers: 1 });

  const pulls = async (count: number): Promise<AuditRecord[]> => {
    for (let i = 0; i < 250; i++) {
      const page = await queries.ask('audit.record.list', { type: 'ManifestPulled', offset: 0, limit: 100 });
      if (page.count >= count) return [...page.results];
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`fewer than ${count} pulls were recorded`);
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-registry-audit-'));
    const settings = loadSettings(
      {
        WHARF_DATA_DIR: dataDir,
        WHARF_REGISTRY_PORT: '0',
        WHARF_ADMIN_PASSWORD: ADMIN_PASSWORD,
        WHARF_SECRET_KEY: randomBytes(32).toString('base64'),
      },
      { bus: 'memory', eventStore: 'sqlite', blobStore: 'fs', httpPortVariable: 'X', httpPort: 0 },
    );
    app = await createProcessApplication(
      'test',
      settings,
      [TasksModule, ContentModule, PublicationModule, DistributionModule, AuditModule],
      false,
    );
    await app.init();
    queries = app.get(Queries);
    registry = `http://127.0.0.1:${app.get(RegistryServer).port}`;

    const blobs = app.get(BlobStore, { strict: false });
    for (const blob of blobsOf(image)) {
      await blobs.put(Readable.from([blob.bytes]), blob.digest);
      await queries.ask('content.blob.record', { digest: blob.digest, size: blob.size });
    }
    for (const item of manifestsOf(image)) {
      await queries.ask('content.manifest.record', {
        bytes: Buffer.from(item.bytes).toString('base64'),
        mediaType: item.mediaType,
      });
    }
    const repository = await queries.ask('content.repository.create', { name: 'app' });
    await queries.ask('content.version.modify', {
      repositoryId: repository.id,
      add: [manifestKey(image.digest)],
    });
    await queries.ask('content.version.tag', {
      repositoryId: repository.id,
      tag: 'v1',
      digest: image.digest,
    });
    const payload = await queries.ask('distribution.validate-create', {
      name: 'app',
      basePath: 'team/app',
      repositoryId: repository.id,
    });
    const task = await queries.ask('tasks.dispatch', {
      name: DISTRIBUTION_TASKS.create,
      worker: DISTRIBUTION_WORKER,
      payload,
      exclusiveResources: [DISTRIBUTIONS_RESOURCE],
    });
    for (let i = 0; i < 250; i++) {
      if ((await queries.ask('tasks.get', { id: task.id })).state === 'completed') break;
      await new Promise((r) => setTimeout(r, 20));
    }
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('records who pulled which manifest, by tag or by digest; HEAD requests are not pulls', async () => {
    const basic = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
    const byTag = await fetch(`${registry}/v2/team/app/manifests/v1`, { headers: { Accept: OCI_MANIFEST } });
    expect(byTag.status).toBe(200);
    await byTag.arrayBuffer();
    const head = await fetch(`${registry}/v2/team/app/manifests/v1`, {
      method: 'HEAD',
      headers: { Accept: OCI_MANIFEST },
    });
    expect(head.status).toBe(200);
    const byDigest = await fetch(`${registry}/v2/team/app/manifests/${image.digest}`, {
      headers: { Accept: OCI_MANIFEST, Authorization: basic },
    });
    expect(byDigest.status).toBe(200);
    await byDigest.arrayBuffer();

    // Every registry response names its request, errors included, echoing the client's id when it sent one.
    const unknown = await fetch(`${registry}/v2/team/app/manifests/nope`, {
      headers: { 'X-Request-Id': 'pull-1' },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-request-id')).toBe('pull-1');
    expect(byTag.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    const recorded = await pulls(2);
    expect(recorded).toHaveLength(2);
    expect(
      recorded.map(({ actor, repository, digest, tag }) => ({ actor, repository, digest, tag })),
    ).toEqual([
      { actor: 'anonymous', repository: 'team/app', digest: image.digest, tag: 'v1' },
      { actor: 'admin', repository: 'team/app', digest: image.digest, tag: null },
    ]);
    expect(recorded[0]!.stream).toMatch(/^registry-/);

    // The same traffic in the metrics: latency by route kind, never by name or digest, and the bytes sent.
    const metrics = await metricsRegistry.metrics();
    expect(metrics).toMatch(
      /wharf_http_request_duration_seconds_count\{server="registry",method="GET",route="manifest",status="200"\} [1-9]/,
    );
    expect(metrics).toMatch(/route="manifest",status="404"/);
    expect(metrics).not.toContain('team/app');
    const served = /^wharf_bytes_served_total (\d+)$/m.exec(metrics);
    expect(Number(served?.[1])).toBeGreaterThanOrEqual(2 * image.size);
  });

  it('records who pushed which manifest under which tag', async () => {
    const basic = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
    const [manifest] = manifestsOf(image).filter((item) => item.digest === image.digest);
    const pushed = await fetch(`${registry}/v2/team/app/manifests/v2`, {
      method: 'PUT',
      headers: { 'Content-Type': manifest!.mediaType, Authorization: basic },
      body: Buffer.from(manifest!.bytes),
    });
    expect(pushed.status).toBe(201);
    for (let i = 0; i < 250; i++) {
      const page = await queries.ask('audit.record.list', { type: 'ManifestPushed', offset: 0, limit: 10 });
      if (page.count > 0) {
        expect(
          page.results.map(({ actor, repository, digest, tag }) => ({ actor, repository, digest, tag })),
        ).toEqual([{ actor: 'admin', repository: 'team/app', digest: image.digest, tag: 'v2' }]);
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the push was not recorded');
  });
});
