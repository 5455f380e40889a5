// Keeps TypeScript project references in step with package.json dependencies (what `nx sync` does for
// Nx's own plugins): each project's tsconfig.build.json references the projects it depends on, and the
// root tsconfig.build.json references them all. Run by `npm run build`.
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { root, workspaceProjects, relativeTo } from './workspace.mjs';

const projects = workspaceProjects();
const byName = new Map(projects.map((p) => [p.name, p]));
let changed = 0;

function write(path, value) {
  const text = JSON.stringify(value, null, 2) + '\n';
  if (existsSync(path) && readFileSync(path, 'utf8') === text) return;
  writeFileSync(path, text);
  changed++;
}

for (const project of projects) {
  const references = project.deps.map((dep) => {
    const target = byName.get(dep);
    if (!target) throw new Error(`${project.dir}: depends on unknown workspace package ${dep}`);
    return { path: join(relativeTo(project.dir, target.dir), 'tsconfig.build.json') };
  });
  write(join(root, project.dir, 'tsconfig.build.json'), {
    extends: join(relativeTo(project.dir, '.'), 'tsconfig.base.json'),
    compilerOptions: {
      composite: true,
      rootDir: 'src',
      outDir: 'dist',
      tsBuildInfoFile: 'dist/tsconfig.build.tsbuildinfo',
    },
    include: ['src/**/*.ts'],
    exclude: ['src/**/*.spec.ts'],
    references,
  });
}
write(join(root, 'tsconfig.build.json'), {
  files: [],
  references: projects.map((p) => ({ path: `./${p.dir}/tsconfig.build.json` })),
});
if (changed) console.log(`sync-references: updated ${changed} tsconfig file(s)`);
