// Lays out what the runtime image needs into one folder: the root package files, node_modules (already pruned
// to production dependencies by the Dockerfile) and, for every npm workspace, its package.json and dist.
// Sources, tests, tsconfigs and docs stay behind. Workspace links in node_modules are relative symlinks
// (node_modules/@wharf/x -> ../../libs/x), so they resolve inside the copied tree.
//
//   node tools/docker/runtime-tree.mjs <target> [--without-node-modules]
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { root, workspaceProjects } from '../workspace.mjs';

export function layOutRuntimeTree(target, { nodeModules = true } = {}) {
  mkdirSync(target, { recursive: true });
  for (const file of ['package.json', 'package-lock.json']) cpSync(join(root, file), join(target, file));
  if (nodeModules) {
    cpSync(join(root, 'node_modules'), join(target, 'node_modules'), {
      recursive: true,
      verbatimSymlinks: true,
    });
  }
  const projects = workspaceProjects();
  for (const { dir } of projects) {
    const dist = join(root, dir, 'dist');
    if (!existsSync(dist)) throw new Error(`${dir} has no dist folder: run npm run build first`);
    mkdirSync(join(target, dir), { recursive: true });
    cpSync(join(root, dir, 'package.json'), join(target, dir, 'package.json'));
    cpSync(dist, join(target, dir, 'dist'), { recursive: true });
  }
  return projects.map((p) => p.dir);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const [target, flag] = process.argv.slice(2);
  if (!target) {
    console.error('usage: node tools/docker/runtime-tree.mjs <target> [--without-node-modules]');
    process.exit(2);
  }
  const dirs = layOutRuntimeTree(target, { nodeModules: flag !== '--without-node-modules' });
  console.log(`runtime tree in ${target}: ${dirs.length} workspaces`);
}
