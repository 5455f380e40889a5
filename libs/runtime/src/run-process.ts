import 'reflect-metadata';
import {
  type DynamicModule,
  type INestApplication,
  type LoggerService,
  Module,
  type Type,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Infrastructure } from './infrastructure.js';
import { RuntimeModule } from './runtime.module.js';
import { loadSettings, SettingsError, type Settings, type SettingsDefaults } from './settings.js';
import { WharfLogger } from './observability/wharf-logger.js';
import { registerTraceContext } from './observability/trace-context.js';
import { observeNestHttp } from './observability/nest-http-observation.js';

export interface ProcessOptions {
  /** Process name, used in logs and bus client names: a service's name, or `wharf` for all-in-one. */
  readonly name: string;
  readonly defaults: SettingsDefaults;
  /** The service modules this process runs, given the validated settings. */
  readonly modules: (settings: Settings) => (Type | DynamicModule)[];
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * One Nest application holding the runtime (adapters chosen by `settings`) and the given service modules,
 * initialised but not listening. runProcess listens; tests call `init()` and drive it in-process.
 */
export async function createProcessApplication(
  name: string,
  settings: Settings,
  modules: (Type | DynamicModule)[],
  logger: LoggerService | false = new WharfLogger(name, settings.logFormat),
): Promise<INestApplication> {
  registerTraceContext();
  const infrastructure = new Infrastructure(settings, name);

  @Module({ imports: [RuntimeModule.forRoot(infrastructure), ...modules] })
  class ProcessModule {}

  // Body parsing is the gateway's (it answers malformed JSON in Pulp's shape); other services take no bodies.
  const app = await NestFactory.create(ProcessModule, { logger, abortOnError: false, bodyParser: false });
  app.getHttpAdapter().getInstance().disable?.('x-powered-by');
  observeNestHttp(app);
  return app;
}

/**
 * Starts one Wharf process: validates settings (exiting with a message naming the bad variable), opens the
 * adapters, runs the given service modules in one Nest application and shuts down cleanly on SIGTERM/SIGINT.
 */
export async function runProcess(options: ProcessOptions): Promise<void> {
  let settings: Settings;
  try {
    settings = loadSettings(options.env ?? process.env, options.defaults);
  } catch (error) {
    if (error instanceof SettingsError) {
      console.error(`wharf ${options.name}: invalid setting ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const logger = new WharfLogger(options.name, settings.logFormat);
  const app = await createProcessApplication(options.name, settings, options.modules(settings), logger);
  await app.listen(settings.httpPort, process.env.WHARF_HTTP_HOST || '0.0.0.0');
  logger.log(`listening on port ${settings.httpPort}`);

  // Not Nest's enableShutdownHooks: it re-raises the signal after closing, so the process would end "killed"
  // rather than with status 0 after a clean shutdown.
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.log(`${signal}: stopping consumers, finishing in-flight work, closing connections`);
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error(`shutdown failed: ${(error as Error).stack ?? String(error)}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
