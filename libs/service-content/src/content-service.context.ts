import 'reflect-metadata';
import { type INestApplicationContext, type LoggerService, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Infrastructure, RuntimeModule, type Settings } from '@wharf/runtime';
import { ContentModule } from './content.module.js';
import { NoVersionProtection, type VersionProtection } from './version-protection.js';

export interface ContentServiceContextOptions {
  /** The adapters to run on (bus, event store and content index, blob store) and where their data lives. */
  readonly settings: Settings;
  /** Replaces the default, which protects no version from retention. */
  readonly versionProtection?: VersionProtection;
  /** Nest's logger; default: silent. */
  readonly logger?: LoggerService | false;
}

/**
 * The content service embedded in the calling process, without an HTTP server: its bus answers, projections
 * and outbox run as in its own process. For benchmarks and integration tests that drive the service through
 * the bus (`context.get(Queries)`) and inspect its adapters; close() stops it and closes the adapters.
 */
export async function createContentServiceContext(
  options: ContentServiceContextOptions,
): Promise<INestApplicationContext> {
  const infrastructure = new Infrastructure(options.settings, 'content');
  // Alone, the content service has no publication service to ask: nothing is protected unless a test says so.
  const content = ContentModule.withVersionProtection(options.versionProtection ?? new NoVersionProtection());

  @Module({ imports: [RuntimeModule.forRoot(infrastructure), content] })
  class EmbeddedContentModule {}

  return NestFactory.createApplicationContext(EmbeddedContentModule, { logger: options.logger ?? false });
}
