/**
 * API service: the query and admin REST API over the sync event log, scans, repairs and dead letters.
 *
 * This module is the service's wiring only; shared logic lives in `libs/`.
 */
import { Module, type DynamicModule } from '@nestjs/common';
import type { BridgeConfig } from '@bridge/config';
import { ServiceRuntimeModule } from '@bridge/runtime';

@Module({})
export class ApiModule {
  static forRoot(config: BridgeConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [ServiceRuntimeModule.forService('api', config)],
    };
  }
}
