// Reads the npm workspaces (every apps/* and libs/** folder with a package.json) so that build, test and
// lint configuration derive from one list instead of hand-kept copies.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, relative, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function projectDirs(dir) {
  const out = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const path = join(dir, entry.name);
    if (existsSync(join(root, path, 'package.json'))) out.push(path);
    else out.push(...projectDirs(path));
  }
  return out;
}

/** @returns {{dir: string, name: string, deps: string[], kind: 'app' | 'lib'}[]} */
export function workspaceProjects() {
  return ['libs', 'apps']
    .filter((d) => existsSync(join(root, d)))
    .flatMap(projectDirs)
    .sort()
    .map((dir) => {
      const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
      const deps = Object.keys({ ...pkg.dependencies }).filter((d) => d.startsWith('@wharf/'));
      return { dir, name: pkg.name, deps, kind: dir.startsWith('apps') ? 'app' : 'lib' };
    });
}

export function relativeTo(fromDir, toDir) {
  return relative(join(root, fromDir), join(root, toDir)) || '.';
}
