import { Injectable, type Type } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { buildOpenApiDocument } from './openapi-generator.js';
import type { OpenApiDocument } from './openapi.types.js';

/** The document of every controller in this Nest application, built once on first request. */
@Injectable()
export class OpenApiDocumentService {
  private document?: OpenApiDocument;

  constructor(private readonly discovery: DiscoveryService) {}

  get(): OpenApiDocument {
    this.document ??= buildOpenApiDocument(
      this.discovery
        .getControllers()
        .map((wrapper) => wrapper.metatype)
        .filter((metatype): metatype is Type => typeof metatype === 'function'),
    );
    return this.document;
  }
}
