/**
 * What every Bridge service process contains besides its own handlers: validated
 * configuration, the store (and its maintenance, one process at a time), the messaging
 * transport, the health and metrics endpoints, and (in-process transport only) the keeper of
 * the bus's unfinished work across restarts. An app module
 * imports `ServiceRuntimeModule.forService('<name>')` and adds its handlers.
 */
import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ConfigModule, type BridgeConfig } from '@bridge/config';
import { MessagingModule } from '@bridge/messaging';
import { labelMetricsWithService } from '@bridge/metrics';
import { StoreModule } from '@bridge/store';
import { HealthController } from './health.controller';
import { InProcessBacklogKeeper } from './in-process-backlog-keeper';
import { MetricsController } from './metrics.controller';
import { ServiceStatusReporter } from './service-status-reporter';
import { StoreMaintenanceScheduler } from './store-maintenance.scheduler';
import { SERVICE_NAME } from './service-name';

@Module({})
export class ServiceRuntimeModule {
  /** @param config the validated configuration the process was started with. */
  static forService(name: string, config: BridgeConfig): DynamicModule {
    labelMetricsWithService(name);
    return {
      module: ServiceRuntimeModule,
      imports: [ConfigModule.forRoot(config), StoreModule, MessagingModule, TerminusModule],
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: SERVICE_NAME, useValue: name },
        InProcessBacklogKeeper,
        ServiceStatusReporter,
        StoreMaintenanceScheduler,
      ],
      exports: [SERVICE_NAME],
    };
  }
}
