/** Ingest: inbound component events claimed once, recorded or turned into check work. */
export { INGEST_GROUP, InboundEventIngestor, type InboundTopic } from './inbound-event-ingestor';
export { IngestModule } from './ingest.module';
