/**
 * The whole system in one process (`npm start`, see docs/design.md, One-process mode): the
 * service runtime once (configuration, store, messaging, health), every service's feature
 * module, and the component simulator serving the components' APIs on the same HTTP server
 * (left out when Bridge watches real components).
 *
 * A service joins the all-in-one process by adding its feature module to `SERVICE_MODULES`;
 * its `@ConsumeEvents` handlers then subscribe on the same in-process bus as everyone else.
 */
import { Module, type DynamicModule, type Type } from '@nestjs/common';
import type { BridgeConfig } from '@bridge/config';
import { CheckerModule } from '@bridge/checks';
import { IngestModule } from '@bridge/ingest';
import { RepairModule } from '@bridge/repair';
import { ServiceRuntimeModule } from '@bridge/runtime';
import { ScannerModule } from '@bridge/scan';
import { ApiModule } from '@bridge/query-api';
import { ComponentSimModule, type SimSettings } from '@bridge/simulator';
import { ActivityController } from './activity.controller';
import { ActivitySummary } from './activity-summary';
import { DATA_DIR_UNLOCK, DataDirLockRelease } from './data-dir-lock';

/** Every service that runs in the all-in-one process. */
export const SERVICE_MODULES: Type[] = [
  IngestModule,
  CheckerModule,
  RepairModule,
  ScannerModule,
  ApiModule,
];

@Module({})
export class AllInOneModule {
  /**
   * @param sim the simulator's settings, or null for real components (`BRIDGE_SIMULATOR=off`).
   * @param unlock gives the data directory up once the application has shut down.
   */
  static forRoot(config: BridgeConfig, sim: SimSettings | null, unlock: () => void): DynamicModule {
    return {
      module: AllInOneModule,
      imports: [
        ServiceRuntimeModule.forService('all-in-one', config),
        ...SERVICE_MODULES,
        ...(sim ? [ComponentSimModule.embedded(sim)] : []),
      ],
      controllers: [ActivityController],
      providers: [
        ActivitySummary,
        { provide: DATA_DIR_UNLOCK, useValue: unlock },
        DataDirLockRelease,
      ],
    };
  }
}
