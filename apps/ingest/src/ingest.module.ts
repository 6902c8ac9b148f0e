/**
 * Ingest service: consumes the components' lifecycle topics, validates and de-duplicates them, dead-letters what cannot be read, and turns them into check work (handlers arrive with issue 3).
 *
 * This module is the service's wiring only; shared logic lives in `libs/`.
 */
import { Module, type DynamicModule } from '@nestjs/common';
import type { BridgeConfig } from '@bridge/config';
import { ServiceRuntimeModule } from '@bridge/runtime';

@Module({})
export class IngestModule {
  static forRoot(config: BridgeConfig): DynamicModule {
    return {
      module: IngestModule,
      imports: [ServiceRuntimeModule.forService('ingest', config)],
    };
  }
}
