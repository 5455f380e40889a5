import {
  DynamicModule,
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  OnModuleDestroy,
  Provider,
} from '@nestjs/common';
import { BlobStore, ContentIndex, EventStore, MessageBus } from '@wharf/ports';
import { OutboxRelay } from '@wharf/outbox';
import { eventSubject } from '@wharf/contracts';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { HealthController } from './health.controller.js';
import { MetricsController } from './observability/metrics.controller.js';
import { RequestContextInterceptor } from './observability/nest-http-observation.js';
import { Infrastructure } from './infrastructure.js';
import { Queries } from './queries.js';

@Injectable()
class InfrastructureShutdown implements OnApplicationShutdown {
  constructor(private readonly infrastructure: Infrastructure) {}

  // Runs after every module's onModuleDestroy, so consumers have stopped before their connections close.
  async onApplicationShutdown(): Promise<void> {
    await this.infrastructure.close();
  }
}

/** The adapters of this process, available to every service module in it. */
@Global()
@Module({})
export class RuntimeModule {
  static forRoot(infrastructure: Infrastructure): DynamicModule {
    return {
      module: RuntimeModule,
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: APP_INTERCEPTOR, useClass: RequestContextInterceptor },
        { provide: Infrastructure, useValue: infrastructure },
        { provide: MessageBus, useFactory: () => infrastructure.messageBus() },
        Queries,
        InfrastructureShutdown,
      ],
      exports: [Infrastructure, MessageBus, Queries],
    };
  }
}

/** The EventStore a service owns (its own SQLite file or MongoDB database), for that service's module. */
export function ownedEventStore(owner: string): Provider {
  return {
    provide: EventStore,
    useFactory: (infrastructure: Infrastructure) => infrastructure.eventStore(owner),
    inject: [Infrastructure],
  };
}

/** The ContentIndex (catalog and version index) a service owns, kept where its event store is. */
export function ownedContentIndex(owner: string): Provider {
  return {
    provide: ContentIndex,
    useFactory: (infrastructure: Infrastructure) => infrastructure.contentIndex(owner),
    inject: [Infrastructure],
  };
}

/** The process's BlobStore, for the modules of services that keep bytes (the gateway does not). */
export function sharedBlobStore(): Provider {
  return {
    provide: BlobStore,
    useFactory: (infrastructure: Infrastructure) => infrastructure.blobStore(),
    inject: [Infrastructure],
  };
}

const OUTBOX_OWNER = Symbol('OUTBOX_OWNER');

/** Publishes what the owning service's event store records, in order, from where it left off. */
@Injectable()
class OutboxRunner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('outbox');
  private relay?: OutboxRelay;

  constructor(
    private readonly store: EventStore,
    private readonly bus: MessageBus,
    @Inject(OUTBOX_OWNER) private readonly owner: string,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.relay = new OutboxRelay(this.store, this.bus, {
      reader: 'outbox',
      subjectFor: (event) => eventSubject(event.stream, event.type),
      onError: (error) => this.logger.error(`outbox of ${this.owner}: ${(error as Error).message}`),
    });
    await this.relay.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.relay?.stop();
  }
}

/** Providers a service module adds to own an event store and relay it to the bus. */
export function eventSourcedOwner(owner: string): Provider[] {
  return [ownedEventStore(owner), { provide: OUTBOX_OWNER, useValue: owner }, OutboxRunner];
}
