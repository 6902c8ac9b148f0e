/**
 * What HTTP ingestion lets in, decided before anything is produced: the request's shape, then
 * each record on its own against the topic's Avro schema and the same size limits as a Kafka
 * record (`MAX_EVENT_BYTES` on its encoded form, `MAX_EVENT_ITEMS` over its arrays). One bad
 * record is refused with the field it got wrong and the others still go in.
 *
 * Pure: `HttpIngestion` does the producing. The body was parsed by a JSON parser held to
 * `INGEST_HTTP_BODY_LIMIT_BYTES`, so its size is bounded; the record count is checked against
 * `INGEST_HTTP_MAX_RECORDS` before any record is looked at.
 */
import type { DecodeLimits } from '@bridge/config';
import { avroTypeOf, inboundPartitionKey, validateEvent, type EventOf } from '@bridge/contracts';
import { InvalidEventError, PermanentError } from '@bridge/errors';
import { checkAvroBounds } from '@bridge/messaging';
import type { InboundTopic } from '../inbound-event-ingestor';

/** Bytes of the Confluent framing (magic byte, schema id) a Kafka record adds to the body. */
const WIRE_HEADER_BYTES = 5;

/** One record of the request that may be produced. */
export interface AdmittedRecord<T extends InboundTopic = InboundTopic> {
  index: number;
  event: EventOf<T>;
  key: string | undefined;
}

/** One record refused, with why: 400 when it does not match the schema, 413 when too large. */
export interface RefusedRecord {
  index: number;
  /** The record's `event_id` when it has a readable one, so the producer can match it up. */
  event_id: string | null;
  status: 'refused';
  code: 400 | 413;
  reason: string;
  /** One line per bad field, naming it. */
  problems: string[];
}

export interface Admission<T extends InboundTopic = InboundTopic> {
  admitted: Array<AdmittedRecord<T>>;
  refused: RefusedRecord[];
}

/** A request whose body is not `{ "records": [...] }` within the record limit; nothing is read. */
export class IngestRequestError extends PermanentError {
  override readonly code = 'invalid_request';

  constructor(
    message: string,
    readonly httpStatus: 400 | 413,
  ) {
    super(message);
  }
}

/** Splits a request body into the records to produce and the ones refused. */
export function admitHttpRecords<T extends InboundTopic>(
  topic: T,
  body: unknown,
  limits: DecodeLimits & { maxRecords: number },
): Admission<T> {
  const records = recordsOf(body, limits.maxRecords);
  const admission: Admission<T> = { admitted: [], refused: [] };
  records.forEach((record, index) => {
    try {
      validateEvent(topic, record);
      checkEncodedSize(topic, record, limits);
      // The store reads ids back in lower case: one spelling, so a claim matches its record.
      const event = { ...record, event_id: record.event_id.toLowerCase() };
      admission.admitted.push({ index, event, key: inboundPartitionKey(topic, event) });
    } catch (error) {
      if (!(error instanceof PermanentError)) throw error;
      admission.refused.push(refusalOf(index, record, error));
    }
  });
  return admission;
}

function recordsOf(body: unknown, maxRecords: number): unknown[] {
  const records =
    typeof body === 'object' && body !== null && !Array.isArray(body)
      ? (body as { records?: unknown }).records
      : undefined;
  if (!Array.isArray(records)) {
    throw new IngestRequestError(
      'the body must be a JSON object with the events in "records": {"records": [ … ]}',
      400,
    );
  }
  if (records.length === 0) {
    throw new IngestRequestError('"records" is empty: send at least one event', 400);
  }
  if (records.length > maxRecords) {
    throw new IngestRequestError(
      `"records" holds ${records.length} events, more than the ${maxRecords} one request may carry (INGEST_HTTP_MAX_RECORDS); split the batch`,
      413,
    );
  }
  return records as unknown[];
}

/** The record as Kafka would carry it, held to the limits a Kafka record is held to. */
function checkEncodedSize(topic: InboundTopic, event: unknown, limits: DecodeLimits): void {
  const type = avroTypeOf(topic);
  const body = type.toBuffer(event);
  if (body.length + WIRE_HEADER_BYTES > limits.maxEventBytes) {
    throw new RecordTooLargeError(
      `the event takes ${body.length + WIRE_HEADER_BYTES} bytes encoded, more than the limit of ${limits.maxEventBytes} (MAX_EVENT_BYTES)`,
    );
  }
  checkAvroBounds(type, body, limits);
}

class RecordTooLargeError extends PermanentError {
  override readonly code = 'too_large';
}

function refusalOf(index: number, record: unknown, error: PermanentError): RefusedRecord {
  const eventId =
    typeof record === 'object' && record !== null
      ? (record as { event_id?: unknown }).event_id
      : undefined;
  // Past the schema check, what the bounds walk refuses is size: more items than allowed.
  const tooLarge = !(error instanceof InvalidEventError);
  return {
    index,
    event_id: typeof eventId === 'string' && eventId.length <= 64 ? eventId : null,
    status: 'refused',
    code: tooLarge ? 413 : 400,
    reason: error.message,
    problems: error instanceof InvalidEventError ? [...error.problems] : [],
  };
}
