/**
 * API service. Today it is the service runtime only (configuration, store, transport and
 * `GET /health`); the query and admin REST API of SPEC §7 comes with its own issue and will be
 * wired here, as a feature module the all-in-one process can import too.
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
