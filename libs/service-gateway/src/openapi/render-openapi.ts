import { randomBytes } from 'node:crypto';
import { createProcessApplication, loadSettings } from '@wharf/runtime';
import { GatewayModule } from '../gateway.module.js';
import { OpenApiDocumentService } from './openapi-document.service.js';
import type { OpenApiDocument } from './openapi.types.js';

/**
 * The document a running gateway serves, produced without serving: the gateway is assembled on the
 * in-process bus, asked for its document and closed. `npm run openapi` writes it to docs/api.json.
 */
export async function renderOpenApiDocument(): Promise<OpenApiDocument> {
  const settings = loadSettings(
    // The gateway cannot start without an admin password; this one never leaves the function.
    { WHARF_ADMIN_PASSWORD: randomBytes(16).toString('hex') },
    { bus: 'memory', eventStore: 'sqlite', blobStore: 'fs', httpPortVariable: 'WHARF_API_PORT', httpPort: 0 },
  );
  const app = await createProcessApplication('openapi', settings, [GatewayModule], false);
  try {
    await app.init();
    return app.get(OpenApiDocumentService).get();
  } finally {
    await app.close();
  }
}
