/**
 * Repair service: applies the configured repair strategy per mismatch type: plan, then execute, with approval for what is unsafe.
 *
 * This module is the service's wiring only; shared logic lives in `libs/`.
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
