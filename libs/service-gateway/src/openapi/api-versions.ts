import { createRequire } from 'node:module';

/**
 * The Pulp releases whose REST shape Wharf follows: pulpcore 3.73 with pulp_container 2.24, the first
 * container release built on core 3.73. Pulp's clients read these from the document's
 * `info.x-pulp-app-versions` and from `status/` to decide which calls and fields a server has.
 */
export const PULP_APP_VERSIONS = { core: '3.73.0', container: '2.24.0' } as const;

// The same relative path holds from src/openapi (tests) and dist/openapi (the built app).
const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** Wharf's own version, from this package. */
export const WHARF_VERSION: string = version;
