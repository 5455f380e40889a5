import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  multiPlatformImage,
  pushImage,
  randomImage,
  requireBinary,
  startDockerRegistry,
  TEST_ADMIN_PASSWORD,
  type StartedDockerRegistry,
} from '@wharf/testing';
import { startAllInOne, startMultiProcess, type WharfDeployment } from './wharf-deployments.js';

const run = promisify(execFile);

/**
 * skopeo pushing INTO Wharf's registry port from every source it reads (another registry, an OCI layout,
 * a docker-archive, an oci-archive), with the admin's credentials, then pulling back: the digest skopeo
 * pushed is the digest Wharf serves, and every byte pulled back hashes to its name.
 */
describe.each([
  ['all-in-one', startAllInOne, true],
  ['multi-process', startMultiProcess, false],
] as const)('skopeo pushing to the %s deployment', (_mode, start, everySource) => {
  let wharf: WharfDeployment;
  let upstream: StartedDockerRegistry;
  let skopeo: string;
  let workDir: string;

  const image = randomImage({ layers: 2, layerSize: 64 * 1024 });
  const dockerImage = randomImage({ format: 'docker', layers: 1 });
  const multiArch = multiPlatformImage([
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64', variant: 'v8' },
  ]);

  const host = (url: string) => url.replace(/^https?:\/\//, '');
  const wharfRef = (name: string, tag: string) => `docker://${host(wharf.registryUrl)}/${name}:${tag}`;
  const upstreamRef = (name: string, tag: string) => `docker://${host(upstream.url)}/${name}:${tag}`;

  const copy = async (args: readonly string[]) =>
    run(skopeo, ['copy', '--retry-times=0', ...args], { timeout: 120_000 });

  /** Pushes `source` to Wharf as name:tag; returns the manifest digest skopeo wrote. */
  const pushToWharf = async (source: string, name: string, tag: string, all = false): Promise<string> => {
    const digestFile = join(workDir, `${name.replace(/\//g, '_')}-${tag}.digest`);
    await copy([
      ...(all ? ['--all'] : []),
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      `--dest-creds=admin:${TEST_ADMIN_PASSWORD}`,
      `--digestfile=${digestFile}`,
      source,
      wharfRef(name, tag),
    ]);
    return readFileSync(digestFile, 'utf8').trim();
  };

  /**
   * Pulls name:tag back into a `dir:` copy, which keeps manifests as served (an OCI layout would convert a
   * Docker manifest); checks every blob against its name; returns the digest of the top manifest's bytes.
   */
  const pullBack = async (name: string, tag: string, all = false): Promise<string> => {
    const target = join(workDir, `pulled-${name.replace(/\//g, '_')}-${tag}`);
    await copy([
      ...(all ? ['--all'] : []),
      '--src-tls-verify=false',
      `--src-creds=admin:${TEST_ADMIN_PASSWORD}`,
      wharfRef(name, tag),
      `dir:${target}`,
    ]);
    const sha256 = (file: string) =>
      createHash('sha256')
        .update(readFileSync(join(target, file)))
        .digest('hex');
    const blobs = readdirSync(target).filter((file) => /^[0-9a-f]{64}$/.test(file));
    expect(blobs.length).toBeGreaterThan(0);
    for (const file of blobs) expect(sha256(file), `pulled blob ${file}`).toBe(file);
    return `sha256:${sha256('manifest.json')}`;
  };

  beforeAll(async () => {
    skopeo = requireBinary('skopeo', 'skopeo');
    workDir = mkdtempSync(join(tmpdir(), 'wharf-push-e2e-'));
    [wharf, upstream] = await Promise.all([start(), startDockerRegistry()]);
    await pushImage(upstream, 'src/image', 'v1', image);
    await pushImage(upstream, 'src/docker', 'v1', dockerImage);
    await pushImage(upstream, 'src/multi', 'v1', multiArch);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([wharf?.stop(), upstream?.stop()]);
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('copies from another registry, byte for byte, and the pushed name appears as a distribution', async () => {
    const pushed = await pushToWharf(upstreamRef('src/image', 'v1'), 'pushed/registry', 'v1');
    expect(pushed).toBe(image.digest);
    expect(await pullBack('pushed/registry', 'v1')).toBe(image.digest);
    const distributions = (await (
      await wharf.api('/pulp/api/v3/distributions/container/container/?base_path=pushed/registry')
    ).json()) as { count: number; results: { repository: string | null }[] };
    expect(distributions.count).toBe(1);
    const versions = (await (
      await wharf.api(`${distributions.results[0]!.repository!}versions/`)
    ).json()) as {
      count: number;
    };
    // Version 0 (empty) and the one the push made: one version for the whole image.
    expect(versions.count).toBe(2);
  });

  // The multi-process deployment is slow to start and shares the code path: one push proves its wiring
  // (sessions in S3, the bus, the distribution created by a task on another process).
  if (everySource) {
    it('copies from an OCI layout directory', async () => {
      const layout = join(workDir, 'layout');
      await copy(['--src-tls-verify=false', upstreamRef('src/image', 'v1'), `oci:${layout}:v1`]);
      const pushed = await pushToWharf(`oci:${layout}:v1`, 'pushed/layout', 'v1');
      expect(pushed).toBe(image.digest);
      expect(await pullBack('pushed/layout', 'v1')).toBe(pushed);
    });

    it('copies from a docker-archive', async () => {
      const archive = join(workDir, 'docker.tar');
      await copy([
        '--src-tls-verify=false',
        upstreamRef('src/docker', 'v1'),
        `docker-archive:${archive}:src/docker:v1`,
      ]);
      const pushed = await pushToWharf(`docker-archive:${archive}`, 'pushed/docker-archive', 'v1');
      expect(await pullBack('pushed/docker-archive', 'v1')).toBe(pushed);
    });

    it('copies from an oci-archive', async () => {
      const archive = join(workDir, 'oci.tar');
      await copy(['--src-tls-verify=false', upstreamRef('src/image', 'v1'), `oci-archive:${archive}:v1`]);
      const pushed = await pushToWharf(`oci-archive:${archive}:v1`, 'pushed/oci-archive', 'v1');
      expect(pushed).toBe(image.digest);
      expect(await pullBack('pushed/oci-archive', 'v1')).toBe(pushed);
    });

    it('copies a multi-arch index with --all', async () => {
      const pushed = await pushToWharf(upstreamRef('src/multi', 'v1'), 'pushed/multi', 'v1', true);
      expect(pushed).toBe(multiArch.digest);
      expect(await pullBack('pushed/multi', 'v1', true)).toBe(multiArch.digest);
    });
  }

  it('refuses a push without credentials', async () => {
    await expect(
      copy([
        '--src-tls-verify=false',
        '--dest-tls-verify=false',
        '--dest-no-creds',
        upstreamRef('src/image', 'v1'),
        wharfRef('pushed/anonymous', 'v1'),
      ]),
    ).rejects.toThrow(/unauthorized|authentication required/i);
  });
});
