/**
 * Checker service: runs the consistency checks (post-run, failed-run partial output, Canon
 * staleness), records findings in the sync event log and publishes `bridge.sync.*`, and looks
 * at open findings again, closing those that healed.
 *
 * `CheckerModule` is the feature (it joins the all-in-one process as it is); `forRoot` adds the
 * service runtime for the standalone process. Wiring only: the checks live in
 * `@bridge/checks` and the component clients in `@bridge/components`.
 */
import { Module, type DynamicModule } from '@nestjs/common';
import type { BridgeConfig } from '@bridge/config';
import { ComponentReader } from './component-reader';
import { HttpComponentReader } from './http-component-reader';
import { OutboxRelayScheduler } from './outbox-relay.scheduler';
import { ComponentClientsModule } from '@bridge/components';
import { ServiceRuntimeModule } from '@bridge/runtime';
import { CheckWorkController } from './check-work.controller';
import { FindingRecheckScheduler } from './finding-recheck.scheduler';

@Module({
  imports: [ComponentClientsModule],
  controllers: [CheckWorkController],
  providers: [
    { provide: ComponentReader, useClass: HttpComponentReader },
    OutboxRelayScheduler,
    FindingRecheckScheduler,
  ],
})
export class CheckerModule {
  static forRoot(config: BridgeConfig): DynamicModule {
    return {
      module: CheckerModule,
      imports: [ServiceRuntimeModule.forService('checker', config)],
    };
  }
}
