// Scaffolds a workspace project: `node tools/new-project.mjs libs/oci "scope:shared,type:pure" [@wharf/dep ...]`.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, basename } from 'node:path';
import { root } from './workspace.mjs';

const [dir, tags = '', ...deps] = process.argv.slice(2);
if (!dir) throw new Error('usage: new-project.mjs <dir> [tags] [deps...]');
const isApp = dir.startsWith('apps/');
const name = isApp
  ? `@wharf/app-${basename(dir)}`
  : `@wharf/${dir.replace(/^libs\//, '').replaceAll('/', '-')}`;
const abs = join(root, dir);
mkdirSync(join(abs, 'src'), { recursive: true });
const pkg = {
  name,
  version: '0.1.0',
  private: true,
  type: 'module',
  ...(isApp
    ? { main: './dist/main.js' }
    : { exports: { '.': { types: './src/index.ts', default: './dist/index.js' } } }),
  dependencies: Object.fromEntries(deps.map((d) => [d, '*'])),
};
writeFileSync(join(abs, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
writeFileSync(
  join(abs, 'project.json'),
  JSON.stringify(
    {
      name,
      $schema: `${'../'.repeat(dir.split('/').length)}node_modules/nx/schemas/project-schema.json`,
      sourceRoot: `${dir}/src`,
      projectType: isApp ? 'application' : 'library',
      tags: tags ? tags.split(',') : [],
      targets: {
        build: { command: `tsc -b ${dir}/tsconfig.build.json` },
        test: { command: `vitest run ${dir}` },
      },
    },
    null,
    2,
  ) + '\n',
);
const entry = join(abs, 'src', isApp ? 'main.ts' : 'index.ts');
if (!existsSync(entry)) writeFileSync(entry, 'export {};\n');
console.log(`${name} at ${dir}`);
