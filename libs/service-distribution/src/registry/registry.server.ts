import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Infrastructure, observeHttpExchange } from '@wharf/runtime';
import { RegistryHandler } from './registry.handler.js';

/**
 * The registry API on its own port (WHARF_REGISTRY_PORT), beside the process's REST/health server. A plain
 * node:http server rather than a Nest controller: the registry decides every header and streams bodies
 * itself, and its error bodies are the distribution spec's, not the REST API's.
 */
@Injectable()
export class RegistryServer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Registry');
  private server?: Server;

  constructor(
    private readonly infrastructure: Infrastructure,
    private readonly handler: RegistryHandler,
  ) {}

  /** The port the registry listens on (the real one when configured as 0). */
  get port(): number {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('registry server is not listening');
    return address.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    const port = this.infrastructure.settings.registryPort;
    const server = createServer((request, response) =>
      observeHttpExchange('registry', request, response, () => void this.handler.handle(request, response)),
    );
    await new Promise<void>((resolve, reject) => {
      const refused = (error: Error) =>
        reject(
          new Error(`registry API cannot listen on port ${port} (WHARF_REGISTRY_PORT): ${error.message}`),
        );
      server.once('error', refused);
      // The interface the process's REST/health server binds (see runProcess), so a process kept to
      // localhost keeps its registry there too.
      server.listen(port, process.env.WHARF_HTTP_HOST || undefined, () => {
        server.off('error', refused);
        resolve();
      });
    });
    this.server = server;
    this.logger.log(`registry API listening on port ${this.port}`);
  }

  async onModuleDestroy(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Idle keep-alive connections would hold close() open; in-flight responses are cut.
    server.closeAllConnections();
    await closed;
  }
}
