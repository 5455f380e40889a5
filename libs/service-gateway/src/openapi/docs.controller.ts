import { Controller, Get } from '@nestjs/common';
import { API_ROOT } from '../hrefs.js';
import { Public } from '../auth/public.decorator.js';
import { PulpOperation } from './pulp-operation.decorator.js';
import { OpenApiDocumentService } from './openapi-document.service.js';
import type { OpenApiDocument } from './openapi.types.js';

/** `docs/api.json`: Pulp's clients read it, without credentials, to learn every call they can make. */
@Controller(`${API_ROOT.slice(1)}docs`)
export class DocsController {
  constructor(private readonly documents: OpenApiDocumentService) {}

  @Get('api.json')
  @Public()
  @PulpOperation({
    operationId: 'docs_api_json_read',
    summary: 'This OpenAPI document',
    tags: ['Docs'],
    responses: { '200': 'ApiDocument' },
  })
  read(): OpenApiDocument {
    return this.documents.get();
  }
}
