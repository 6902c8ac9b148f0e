/**
 * Ingest service: consumes the components' topics (validated against their Avro schemas by the
 * consumer loop), drops duplicates, records fact events and turns the rest into check work.
 *
 * This module is the service's wiring only; the decisions live in `@bridge/checks`.
 */
import { Module, type DynamicModule } from '@nestjs/common';
import type { BridgeConfig } from '@bridge/config';
import { ServiceRuntimeModule } from '@bridge/runtime';
import { InboundEventIngestor } from './inbound-event-ingestor';

@Module({})
export class IngestModule {
  static forRoot(config: BridgeConfig): DynamicModule {
    return {
      module: IngestModule,
      imports: [ServiceRuntimeModule.forService('ingest', config)],
      providers: [InboundEventIngestor],
    };
  }
}
