/**
 * Ingest service: consumes the components' topics (validated against their Avro schemas by the
 * consumer loop), drops duplicates, records fact events and turns the rest into check work.
 *
 * `IngestModule` is the feature (it joins the all-in-one process as it is); `forRoot` adds the
 * service runtime for the standalone process. Wiring only: the orchestration lives in
 * `@bridge/ingest`, the decisions in `@bridge/checks` and `@bridge/repair`.
 */
import { Module, type DynamicModule } from '@nestjs/common';
import type { BridgeConfig } from '@bridge/config';
import { ServiceRuntimeModule } from '@bridge/runtime';
import { InboundEventIngestor } from './inbound-event-ingestor';
import { InboundEventsController } from './inbound-events.controller';

@Module({
  controllers: [InboundEventsController],
  providers: [InboundEventIngestor],
  exports: [InboundEventIngestor],
})
export class IngestModule {
  static forRoot(config: BridgeConfig): DynamicModule {
    return {
      module: IngestModule,
      imports: [ServiceRuntimeModule.forService('ingest', config)],
    };
  }
}
