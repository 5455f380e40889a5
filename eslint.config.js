// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Module boundaries (DESIGN §4): the arrows point one way. Pure libraries import no framework or driver,
// adapters never reach into services, and no app imports another app.
const drivers = [
  '@nestjs/*',
  'mongodb',
  'nats',
  '@nats-io/*',
  'minio',
  'undici',
  'better-sqlite3',
  'express',
];
const nodeIo = ['node:fs', 'node:fs/*', 'fs', 'fs/*', 'node:net', 'node:http', 'node:child_process'];
const restrict = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }] }],
});

export default tseslint.config(
  { ignores: ['**/dist/**', 'node_modules/**', 'data/**', '.nx/**', '**/*.mjs', 'bench/**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'off',
    },
  },
  {
    files: ['libs/oci/src/**', 'libs/domain/**/src/**', 'libs/contracts/src/**'],
    ignores: ['**/*.spec.ts'],
    rules: restrict(
      [...drivers, ...nodeIo, '@wharf/ports', '@wharf/runtime', '@wharf/service-*', '@wharf/app-*'],
      'pure libraries (oci, domain, contracts) import no framework, driver or I/O',
    ),
  },
  {
    files: ['libs/ports/src/**'],
    ignores: ['**/*.spec.ts'],
    rules: restrict(
      [...drivers, '@wharf/service-*', '@wharf/runtime', '@wharf/app-*'],
      'ports are abstract: no driver',
    ),
  },
  {
    files: ['libs/{event-store,blob-store,bus,content-index}-*/src/**', 'libs/registry-client/src/**'],
    ignores: ['**/*.spec.ts'],
    rules: restrict(
      ['@wharf/service-*', '@wharf/runtime', '@wharf/app-*', '@wharf/testing', '@wharf/domain-*'],
      'adapters implement ports; they know no service',
    ),
  },
  {
    files: ['libs/service-*/src/**', 'libs/runtime/src/**'],
    ignores: ['**/*.spec.ts'],
    rules: restrict(['@wharf/app-*', '@wharf/testing'], 'libraries never import apps or test helpers'),
  },
  {
    files: ['libs/service-gateway/src/**'],
    ignores: ['**/*.spec.ts'],
    rules: restrict(
      [
        '@wharf/service-*',
        '@wharf/domain-*',
        '@wharf/app-*',
        '@wharf/testing',
        ...drivers.filter((d) => d !== '@nestjs/*' && d !== 'express'),
      ],
      'the gateway talks to the services only over the bus',
    ),
  },
  {
    files: ['apps/*/src/**'],
    rules: restrict(
      ['@wharf/app-*', '@wharf/testing'],
      'no app imports another app; test helpers only from specs',
    ),
  },
);
