/**
 * Repair service. Today it is the service runtime only (configuration, store, transport and
 * `GET /health`); repair strategies, plans and approvals (SPEC §4) come with their own issue and
 * will be wired here, as a feature module the all-in-one process can import too.
 */
import { Module, type DynamicModule } from '@nestjs/common';
import type { BridgeConfig } from '@bridge/config';
import { ServiceRuntimeModule } from '@bridge/runtime';

@Module({})
export class RepairModule {
  static forRoot(config: BridgeConfig): DynamicModule {
    return {
      module: RepairModule,
      imports: [ServiceRuntimeModule.forService('repair', config)],
    };
  }
}
