import { defineConfig } from 'vitest/config';
import swc from 'unplugin-swc';
// @ts-expect-error plain ESM helper without types
import { workspaceProjects } from './tools/workspace.mjs';

// Tests run against the TypeScript sources of every workspace library, not their build output.
const aliases = (workspaceProjects() as { dir: string; name: string; kind: string }[])
  .filter((p) => p.kind === 'lib')
  .flatMap((p) => [
    { find: new RegExp(`^${p.name}$`), replacement: `${process.cwd()}/${p.dir}/src/index.ts` },
    // subpath exports (`@wharf/ports/adapter-kit`) map to a folder's index
    { find: new RegExp(`^${p.name}/(.+)$`), replacement: `${process.cwd()}/${p.dir}/src/$1/index.ts` },
  ]);

export default defineConfig({
  // swc, because NestJS dependency injection needs emitDecoratorMetadata, which esbuild/oxc lack.
  plugins: [swc.vite({ jsc: { transform: { legacyDecorator: true, decoratorMetadata: true } } })],
  resolve: { alias: aliases },
  test: {
    include: ['{apps,libs,test}/**/*.spec.ts'],
    globalSetup: ['./libs/testing/src/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 180_000,
    pool: 'forks',
    reporters: ['default', './libs/testing/src/summary-line.reporter.ts'],
  },
});
