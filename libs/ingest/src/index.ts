/** Ingest: inbound component events claimed once, recorded or turned into check work. */
export { INGEST_GROUP, InboundEventIngestor, type InboundTopic } from './inbound-event-ingestor';
export { IngestModule } from './ingest.module';
export {
  HTTP_INGEST_GROUP,
  HttpIngestion,
  type IngestAnswer,
  type IngestRecordOutcome,
} from './http/http-ingestion';
export { IngestRequestError, admitHttpRecords } from './http/http-ingest-admission';
