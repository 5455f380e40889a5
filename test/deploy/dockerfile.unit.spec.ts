import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error plain ESM helper without types
import { layOutRuntimeTree } from '../../tools/docker/runtime-tree.mjs';

// No container engine runs on the build machines, so the image cannot be built here. These checks hold the
// Dockerfile to the promises the deployment relies on, and lay out the runtime tree it copies for real.

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

function parseDockerfile(text: string): Stage[] {
  const lines = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args: args.replace(/\s+/g, ' ') };
    if (instruction.keyword === 'FROM') {
      const [from = '', as, name] = instruction.args.split(' ');
      stages.push({ from, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

const dockerfile = parseDockerfile(readFileSync('Dockerfile', 'utf8'));
const runtime = dockerfile.at(-1)!;
const build = dockerfile[0]!;
const args = (stage: Stage, keyword: string) =>
  stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
const apps = readdirSync('apps').filter((app) => existsSync(join('apps', app, 'package.json')));

describe('the Dockerfile', () => {
  it('builds in one stage and runs from a slim image that copies only the laid-out runtime tree', () => {
    expect(dockerfile.length).toBeGreaterThanOrEqual(2);
    expect(runtime.from).toMatch(/-slim$/);
    const run = args(build, 'RUN').join(' && ');
    for (const step of ['npm ci', 'npm run build', 'npm prune --omit=dev', 'tools/docker/runtime-tree.mjs']) {
      expect(run).toContain(step);
    }
    expect(run.indexOf('npm prune')).toBeLessThan(run.indexOf('runtime-tree.mjs'));
    const copies = args(runtime, 'COPY');
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) expect(copy).toMatch(new RegExp(`^--from=${build.name} /runtime/ `));
  });

  it('runs as a numeric non-root user, so that Kubernetes runAsNonRoot can verify it', () => {
    const users = args(runtime, 'USER');
    expect(users.length).toBeGreaterThan(0);
    const [uid, gid] = users.at(-1)!.split(':');
    expect(Number(uid)).toBeGreaterThan(0);
    if (gid !== undefined) expect(Number(gid)).toBeGreaterThan(0);
  });

  it('keeps state under WHARF_DATA_DIR and temporary files under TMPDIR, the paths the manifests mount', () => {
    const env = args(runtime, 'ENV').join(' ');
    expect(env).toMatch(/WHARF_DATA_DIR=\/var\/lib\/wharf\b/);
    expect(env).toMatch(/TMPDIR=\/tmp\b/);
  });

  it('starts node on the all-in-one by default, and every app is a path the arguments can name', () => {
    expect(args(runtime, 'ENTRYPOINT').at(-1)).toMatch(/^\["node"/);
    expect(args(runtime, 'CMD').at(-1)).toBe('["apps/wharf/dist/main.js"]');
    expect(apps).toEqual(expect.arrayContaining(['gateway', 'content', 'sync', 'upload', 'wharf']));
  });

  it('is sent no dependencies, build output, state or history from the host', () => {
    const ignored = readFileSync('.dockerignore', 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    for (const path of ['**/node_modules', '**/dist', '.git', 'data']) expect(ignored).toContain(path);
  });
});

describe('the runtime tree the image copies', () => {
  let target: string;

  beforeAll(() => {
    target = mkdtempSync(join(tmpdir(), 'wharf-runtime-tree-'));
    layOutRuntimeTree(target, { nodeModules: false });
  });
  afterAll(() => rmSync(target, { recursive: true, force: true }));

  it("holds every app's entry point and every workspace's package.json, without sources", () => {
    for (const app of apps) expect(existsSync(join(target, 'apps', app, 'dist', 'main.js'))).toBe(true);
    expect(existsSync(join(target, 'libs', 'runtime', 'package.json'))).toBe(true);
    expect(existsSync(join(target, 'libs', 'runtime', 'dist', 'index.js'))).toBe(true);
    expect(existsSync(join(target, 'libs', 'runtime', 'src'))).toBe(false);
    expect(existsSync(join(target, 'package-lock.json'))).toBe(true);
  });
});
