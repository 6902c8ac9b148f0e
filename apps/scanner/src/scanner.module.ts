/**
 * Scanner service: runs scheduled and on-demand full consistency scans, paged, rate-limited and resumable by cursor.
 *
 * This module is the service's wiring only; shared logic lives in `libs/`.
 */
import { Module, type DynamicModule } from '@nestjs/common';
import type { BridgeConfig } from '@bridge/config';
import { ServiceRuntimeModule } from '@bridge/runtime';

@Module({})
export class ScannerModule {
  static forRoot(config: BridgeConfig): DynamicModule {
    return {
      module: ScannerModule,
      imports: [ServiceRuntimeModule.forService('scanner', config)],
    };
  }
}
