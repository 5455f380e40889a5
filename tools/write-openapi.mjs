// Writes docs/api.json: the OpenAPI document the gateway serves at /pulp/api/v3/docs/api.json, generated
// from the built code (`npm run openapi` builds first). A test fails while the committed file differs from
// what the code generates, so run this after changing any endpoint.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import prettier from 'prettier';
import { renderOpenApiDocument } from '@wharf/service-gateway';
import { root } from './workspace.mjs';

const target = join(root, 'docs', 'api.json');
const document = await renderOpenApiDocument();
// Formatted as `prettier --check` expects, so `npm run lint` accepts the generated file as it is.
const options = { ...(await prettier.resolveConfig(target)), filepath: target };
writeFileSync(target, await prettier.format(JSON.stringify(document), options));
console.log(`write-openapi: ${Object.keys(document.paths).length} paths written to docs/api.json`);
