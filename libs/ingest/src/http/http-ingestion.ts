/**
 * HTTP ingestion: the way in for a component that cannot speak Kafka and Avro. A batch of JSON
 * records for one inbound topic is checked record by record (`admitHttpRecords`), and what is
 * admitted is produced to the topic exactly as a component's own producer would have written
 * it: Avro-encoded by the transport, keyed by `inboundPartitionKey`. From there the ingest
 * service takes it like any other record.
 *
 * Idempotent by `event_id`. The ids are claimed for this way in (a consumer group of its own in
 * the processed-events table) in the same transaction that waits for the produce to be
 * acknowledged: a record sent again after it was accepted answers `duplicate` and is not
 * produced twice, and when the broker or the database fails nothing is claimed, the request
 * answers 503 and may be sent again as it is. Should a claim be lost after an acknowledged
 * produce (the process dies between the two), the resent record is produced once more and the
 * ingest service drops it by the same `event_id`.
 *
 * Both transports go through here: on Kafka the produce is acknowledged by the brokers, on the
 * in-process bus of `npm start` by the bus's durable backlog.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { BRIDGE_CONFIG, type BridgeConfig } from '@bridge/config';
import { INBOUND_TOPICS } from '@bridge/contracts';
import { InfrastructureUnavailableError, NotFoundError } from '@bridge/errors';
import { EventPublisher } from '@bridge/messaging';
import { BridgeMetrics } from '@bridge/metrics';
import { StoreTransactions } from '@bridge/store';
import type { InboundTopic } from '../inbound-event-ingestor';
import { admitHttpRecords, type AdmittedRecord, type RefusedRecord } from './http-ingest-admission';

/** The processed-events group of HTTP ingestion, before the deployment's prefix. */
export const HTTP_INGEST_GROUP = 'http-ingest';

/** What became of one record of the request, in the request's order. */
export type IngestRecordOutcome =
  | { index: number; event_id: string; status: 'accepted' }
  | { index: number; event_id: string; status: 'duplicate' }
  | RefusedRecord;

export interface IngestAnswer {
  topic: InboundTopic;
  accepted: number;
  duplicates: number;
  refused: number;
  records: IngestRecordOutcome[];
}

export function isInboundTopic(topic: string): topic is InboundTopic {
  return (INBOUND_TOPICS as readonly string[]).includes(topic);
}

@Injectable()
export class HttpIngestion {
  private readonly logger = new Logger('HttpIngestion');
  private readonly group: string;

  constructor(
    @Inject(BRIDGE_CONFIG) private readonly config: BridgeConfig,
    private readonly publisher: EventPublisher,
    private readonly transactions: StoreTransactions,
  ) {
    this.group = `${config.consumerGroupPrefix}-${HTTP_INGEST_GROUP}`;
  }

  /** Produces what `body` holds for `topic`; `producer` is the caller, for the log. */
  async submit(topic: string, body: unknown, producer: string): Promise<IngestAnswer> {
    if (!isInboundTopic(topic)) {
      throw new NotFoundError(
        `${topic} is not an inbound topic; events can be sent to ${INBOUND_TOPICS.join(', ')}`,
      );
    }
    const { admitted, refused } = admitHttpRecords(topic, body, {
      ...this.config.decoding,
      maxRecords: this.config.api.ingest.maxRecords,
    });
    const { first, repeated } = firstOfEachEventId(admitted);
    const fresh = await this.produce(topic, first);
    const outcomes: IngestRecordOutcome[] = [
      ...refused,
      ...first.map((record) => ({
        index: record.index,
        event_id: record.event.event_id,
        status: fresh.has(record.event.event_id) ? ('accepted' as const) : ('duplicate' as const),
      })),
      ...repeated.map((record) => ({
        index: record.index,
        event_id: record.event.event_id,
        status: 'duplicate' as const,
      })),
    ].sort((a, b) => a.index - b.index);
    const answer: IngestAnswer = {
      topic,
      accepted: fresh.size,
      duplicates: first.length - fresh.size + repeated.length,
      refused: refused.length,
      records: outcomes,
    };
    this.count(answer);
    this.logger.debug(
      `${producer} sent ${outcomes.length} ${topic} record(s): ${answer.accepted} accepted, ${answer.duplicates} duplicate(s), ${answer.refused} refused`,
    );
    return answer;
  }

  /** Claims the ids and produces the fresh records in one transaction; returns the fresh ids. */
  private async produce(topic: InboundTopic, records: AdmittedRecord[]): Promise<Set<string>> {
    if (records.length === 0) return new Set();
    try {
      return await this.transactions.run(async ({ processed }) => {
        const fresh = await processed.claimMany(
          this.group,
          records.map(({ event }) => ({
            eventId: event.event_id,
            topic,
            occurredAt: event.occurred_at,
          })),
        );
        await this.publisher.publishMany(
          topic,
          records
            .filter(({ event }) => fresh.has(event.event_id))
            .map(({ event, key }) => ({ event, key })),
        );
        return fresh;
      });
    } catch (error) {
      throw new InfrastructureUnavailableError(
        `nothing from this request was accepted (${(error as Error).message}); send it again as it is: records already accepted are recognised by their event_id`,
        { cause: error },
      );
    }
  }

  private count(answer: IngestAnswer): void {
    const counter = BridgeMetrics.httpIngestRecords;
    if (answer.accepted > 0)
      counter.inc({ topic: answer.topic, outcome: 'accepted' }, answer.accepted);
    if (answer.duplicates > 0) {
      counter.inc({ topic: answer.topic, outcome: 'duplicate' }, answer.duplicates);
    }
    if (answer.refused > 0)
      counter.inc({ topic: answer.topic, outcome: 'refused' }, answer.refused);
  }
}

/** The first record of each event id, and the later ones that repeat an id in the same batch. */
function firstOfEachEventId(records: AdmittedRecord[]): {
  first: AdmittedRecord[];
  repeated: AdmittedRecord[];
} {
  const seen = new Set<string>();
  const first: AdmittedRecord[] = [];
  const repeated: AdmittedRecord[] = [];
  for (const record of records) {
    const id = record.event.event_id;
    (seen.has(id) ? repeated : first).push(record);
    seen.add(id);
  }
  return { first, repeated };
}
