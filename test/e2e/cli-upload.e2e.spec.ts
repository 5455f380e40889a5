import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomImage } from '@wharf/testing';
import { eventually, startAllInOne, type WharfDeployment } from './wharf-deployments.js';
import { cliFor, type Cli } from './cli-runner.js';

interface UploadJson {
  pulp_href: string;
  size: number;
  chunks: { offset: number; size: number }[];
}

interface UploadResult {
  upload: string;
  sha256: string;
  size: number;
  artifact: string;
  bytes_sent: number;
  created_resources?: string[];
}

const MiB = 1024 * 1024;

describe('wharf CLI: chunked, resumable uploads', () => {
  let wharf: WharfDeployment;
  let cli: Cli;
  let files: string;

  const writeRandomFile = (name: string, size: number) => {
    const path = join(files, name);
    const bytes = randomBytes(size);
    writeFileSync(path, bytes);
    return { path, sha256: createHash('sha256').update(bytes).digest('hex') };
  };
  const uploadsOnServer = async () =>
    ((await (await wharf.api('/pulp/api/v3/uploads/')).json()) as { results: UploadJson[] }).results;

  beforeAll(async () => {
    wharf = await startAllInOne();
    cli = cliFor(wharf.apiUrl);
    files = mkdtempSync(join(tmpdir(), 'wharf-cli-files-'));
  }, 60_000);

  afterAll(async () => {
    cli?.cleanup();
    rmSync(files, { recursive: true, force: true });
    await wharf?.stop();
  });

  it('uploads a file in chunks with a progress bar and a summary naming its sha256', async () => {
    const file = writeRandomFile('small.bin', 5 * MiB + 123);
    const result = await cli.runInTerminal(['upload', 'file', file.path, '--chunk-size', '1MiB']);
    expect(result.code, result.stdout).toBe(0);
    expect(result.stdout).toMatch(/\r\[#{6}-{24}\] 19% Uploading 1\.0 MiB\/5\.0 MiB/);
    expect(result.stdout).toMatch(/\r\[#{30}\] 100% Uploading 5\.0 MiB\/5\.0 MiB/);
    expect(result.stdout).toMatch(
      new RegExp(
        `Upload completed in \\d+\\.\\ds: 5\\.0 MiB, sha256 ${file.sha256}, artifact /pulp/api/v3/artifacts/[0-9a-f-]+/`,
      ),
    );
    const artifacts = await cli.json<{ sha256: string; size: number }[]>([
      'artifact',
      'list',
      '--sha256',
      file.sha256,
    ]);
    expect(artifacts).toEqual([expect.objectContaining({ sha256: file.sha256, size: 5 * MiB + 123 })]);
    expect(await uploadsOnServer()).toEqual([]);
  });

  it('turns an upload into a blob of a repository', async () => {
    const file = writeRandomFile('layer.bin', 300_000);
    await cli.json(['repository', 'create', 'uploaded']);
    const result = await cli.json<UploadResult>([
      'upload',
      'file',
      file.path,
      '--as',
      'blob',
      '--repository',
      'uploaded',
    ]);
    expect(result).toMatchObject({ sha256: file.sha256, size: 300_000, bytes_sent: 300_000 });
    expect(result.created_resources).toContainEqual(expect.stringMatching(/\/versions\/1\/$/));
    const blobs = await cli.json<{ digest: string }[]>(['content', 'blobs', '--repository', 'uploaded']);
    expect(blobs.map((b) => b.digest)).toEqual([`sha256:${file.sha256}`]);
  });

  it('pushes an image by uploads: its blobs, then its manifest, tagged in the repository', async () => {
    const image = randomImage({ layers: 2 });
    await cli.json(['repository', 'create', 'pushed']);
    for (const blob of [image.config, ...image.layers]) {
      const path = join(files, blob.digest.replace(':', '-'));
      writeFileSync(path, blob.bytes);
      await cli.json(['upload', 'file', path, '--as', 'blob', '--repository', 'pushed']);
    }
    const manifestPath = join(files, 'manifest.json');
    writeFileSync(manifestPath, image.bytes);
    const uploaded = await cli.run([
      'upload',
      'file',
      manifestPath,
      '--as',
      'manifest',
      '--repository',
      'pushed',
      '--tag',
      'v1',
    ]);
    expect(uploaded.code, uploaded.stderr).toBe(0);
    expect(uploaded.stdout).toMatch(/^Upload completed in .*; created .*\/versions\/4\//m);
    const tags = await cli.json<{ name: string; tagged_manifest: string }[]>([
      'content',
      'tags',
      '--repository',
      'pushed',
    ]);
    expect(tags.map((t) => t.name)).toEqual(['v1']);
    const manifest = await cli.json<{ digest: string }>(['content', 'show', tags[0]!.tagged_manifest]);
    expect(manifest.digest).toBe(image.digest);
  });

  it('leaves a resumable upload on Ctrl-C; resume sends only the missing chunks and commits the right sha256', async () => {
    const size = 96 * MiB + 7;
    const file = writeRandomFile('big.bin', size);
    const child = cli.start(['upload', 'file', file.path, '--chunk-size', '1MiB']);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));

    // Interrupt once the server holds a few chunks, well before the end.
    const { pulp_href: href } = await eventually(
      'the upload to start',
      async () => (await uploadsOnServer()).find((u) => u.size === size),
      20_000,
    );
    await eventually('two chunks on the server', async () => {
      const detail = (await (await wharf.api(href)).json()) as UploadJson;
      return detail.chunks.length >= 2 ? detail : undefined;
    });
    child.kill('SIGINT');
    expect(await exited).toBe(130);

    const command = `wharf upload resume ${href} ${file.path}`;
    expect(stderr).toContain(`Resume with:\n  ${command}\n`);
    const received = ((await (await wharf.api(href)).json()) as UploadJson).chunks;
    const receivedBytes = received.reduce((sum, c) => sum + c.size, 0);
    expect(receivedBytes).toBeGreaterThan(0);
    expect(receivedBytes).toBeLessThan(size);
    expect(readdirSync(join(cli.home, '.cache', 'wharf', 'uploads'))).toHaveLength(1);

    const resumed = await cli.json<UploadResult>(command.split(' ').slice(1));
    expect(resumed).toMatchObject({ upload: href, sha256: file.sha256, size });
    // Every chunk the server held was skipped: the ones seen above, and the one in flight at Ctrl-C if its
    // bytes had all arrived (the server may record it just after the CLI exits).
    expect(resumed.bytes_sent).toBeLessThanOrEqual(size - receivedBytes);
    expect(resumed.bytes_sent).toBeGreaterThanOrEqual(size - receivedBytes - MiB);
    expect((size - resumed.bytes_sent) % MiB).toBe(0);
    const artifact = (await (await wharf.api(resumed.artifact)).json()) as { sha256: string; size: number };
    expect(artifact).toMatchObject({ sha256: file.sha256, size });
    expect(await uploadsOnServer()).toEqual([]);
    expect(existsSync(join(cli.home, '.cache', 'wharf', 'uploads', `${href.split('/').at(-2)}.json`))).toBe(
      false,
    );
  });

  it('refuses a missing file, an empty file and a resume with a file of another size', async () => {
    const missing = await cli.run(['upload', 'file', join(files, 'nope.bin')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file');
    writeFileSync(join(files, 'empty.bin'), '');
    expect((await cli.run(['upload', 'file', join(files, 'empty.bin')])).code).toBe(2);
    expect((await cli.run(['upload', 'file', join(files, 'x.bin'), '--chunk-size', 'lots'])).code).toBe(2);

    const created = (await (
      await wharf.api('/pulp/api/v3/uploads/', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ size: 10 }),
      })
    ).json()) as UploadJson;
    const other = writeRandomFile('eleven.bin', 11);
    const mismatch = await cli.run(['upload', 'resume', created.pulp_href, other.path]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toContain(`has 11 bytes but upload ${created.pulp_href} expects 10`);
    expect((await cli.run(['upload', 'delete', created.pulp_href])).code).toBe(0);
    expect(await uploadsOnServer()).toEqual([]);
  });
});
