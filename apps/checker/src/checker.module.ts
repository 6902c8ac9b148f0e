/**
 * Checker service: runs the consistency checks (post-run, failed-run partial output, Canon staleness), records findings in the sync event log and publishes `bridge.sync.*`.
 *
 * This module is the service's wiring only; shared logic lives in `libs/`.
 */
import { Module, type DynamicModule } from '@nestjs/common';
import type { BridgeConfig } from '@bridge/config';
import { ServiceRuntimeModule } from '@bridge/runtime';

@Module({})
export class CheckerModule {
  static forRoot(config: BridgeConfig): DynamicModule {
    return {
      module: CheckerModule,
      imports: [ServiceRuntimeModule.forService('checker', config)],
    };
  }
}
