/**
 * Checker service: runs the consistency checks (post-run, failed-run partial output, Canon
 * staleness), records findings in the sync event log and publishes `bridge.sync.*`.
 *
 * This module is the service's wiring only; the checks live in `@bridge/checks` and the
 * component clients in `@bridge/components`.
 */
import { Module, type DynamicModule } from '@nestjs/common';
import type { BridgeConfig } from '@bridge/config';
import { ComponentReader } from '@bridge/checks';
import { ComponentClientsModule } from '@bridge/components';
import { ServiceRuntimeModule } from '@bridge/runtime';
import { CheckWorkConsumer } from './check-work-consumer';
import { HttpComponentReader } from './http-component-reader';

@Module({})
export class CheckerModule {
  static forRoot(config: BridgeConfig): DynamicModule {
    return {
      module: CheckerModule,
      imports: [ServiceRuntimeModule.forService('checker', config), ComponentClientsModule],
      providers: [{ provide: ComponentReader, useClass: HttpComponentReader }, CheckWorkConsumer],
    };
  }
}
