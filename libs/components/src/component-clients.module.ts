/**
 * Nest wiring of the component clients: one set per process, built from the validated
 * configuration, injectable by class in the checker, scanner and repair service, and closed
 * when the application shuts down so that kept-alive sockets do not hold the process open.
 */
import { Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { BRIDGE_CONFIG, type BridgeConfig } from '@bridge/config';
import { CanonClient } from './canon-client';
import { CappellaClient } from './cappella-client';
import { ComponentClients } from './component-clients';
import { HippoClient } from './hippo-client';

/** Closes the pools last (after `onModuleDestroy` hooks), when no consumer can still call out. */
@Injectable()
export class ComponentClientsShutdown implements OnApplicationShutdown {
  constructor(@Inject(ComponentClients) private readonly clients: ComponentClients) {}

  onApplicationShutdown(): Promise<void> {
    return this.clients.close();
  }
}

@Global()
@Module({
  providers: [
    {
      provide: ComponentClients,
      inject: [BRIDGE_CONFIG],
      useFactory: (config: BridgeConfig) => ComponentClients.fromConfig(config.components),
    },
    {
      provide: CappellaClient,
      inject: [ComponentClients],
      useFactory: (clients: ComponentClients) => clients.cappella,
    },
    {
      provide: HippoClient,
      inject: [ComponentClients],
      useFactory: (clients: ComponentClients) => clients.hippo,
    },
    {
      provide: CanonClient,
      inject: [ComponentClients],
      useFactory: (clients: ComponentClients) => clients.canon,
    },
    ComponentClientsShutdown,
  ],
  exports: [ComponentClients, CappellaClient, HippoClient, CanonClient],
})
export class ComponentClientsModule {}
