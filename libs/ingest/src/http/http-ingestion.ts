/**
 * HTTP ingestion: the way in for a component that cannot speak Kafka and Avro. A batch of JSON
 * records for one inbound topic is checked record by record (`admitHttpRecords`), and what is
 * admitted is produced to the topic exactly as a component's own producer would have written
 * it: Avro-encoded by the transport, keyed by `inboundPartitionKey`. From there the ingest
 * service takes it like any other record.
 *
 * Idempotent by `event_id`, and an accepted record is never lost, on either transport:
 *
 * - On Kafka the ids are claimed for this way in (a consumer group of its own in the
 *   processed-events table) in the same transaction that waits for the brokers to acknowledge
 *   the produce. A record sent again answers `duplicate` and is not produced twice; when the
 *   broker or the database fails nothing is claimed, the request answers 503 and may be sent
 *   again as it is. Should a claim be lost after an acknowledged produce (the process dies
 *   between the two), the resent record is produced once more and ingest drops it by its id.
 * - The in-process bus of `npm start` keeps what it queues in memory until a graceful stop, so
 *   a claim of its own would answer `duplicate` to the resend of a record a crash had lost.
 *   There the durable point is ingest's own claim: the request is answered once ingest has
 *   handled its records, and a record ingest has claimed before is the duplicate.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { BRIDGE_CONFIG, type BridgeConfig } from '@bridge/config';
import { INBOUND_TOPICS } from '@bridge/contracts';
import { InfrastructureUnavailableError, NotFoundError } from '@bridge/errors';
import { EventPublisher } from '@bridge/messaging';
import { BridgeMetrics } from '@bridge/metrics';
import { ProcessedInboundEvents, StoreTransactions, type InboundEventClaim } from '@bridge/store';
import { INGEST_GROUP, type InboundTopic } from '../inbound-event-ingestor';
import { admitHttpRecords, type AdmittedRecord, type RefusedRecord } from './http-ingest-admission';

/** The processed-events group of HTTP ingestion on Kafka, before the deployment's prefix. */
export const HTTP_INGEST_GROUP = 'http-ingest';

/** How long a request on the in-process bus waits for ingest to handle its records. */
const IN_PROCESS_HANDLING_TIMEOUT_MS = 15_000;
const IN_PROCESS_POLL_MS = 25;

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
  private readonly ingestGroup: string;

  constructor(
    @Inject(BRIDGE_CONFIG) private readonly config: BridgeConfig,
    private readonly publisher: EventPublisher,
    private readonly transactions: StoreTransactions,
    private readonly processed: ProcessedInboundEvents,
  ) {
    this.group = `${config.consumerGroupPrefix}-${HTTP_INGEST_GROUP}`;
    this.ingestGroup = `${config.consumerGroupPrefix}-${INGEST_GROUP}`;
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

  /** Produces the records not seen before; returns their ids (the others are duplicates). */
  private async produce(topic: InboundTopic, records: AdmittedRecord[]): Promise<Set<string>> {
    if (records.length === 0) return new Set();
    const claims = records.map(({ event }) => claimOf(topic, event));
    try {
      return this.config.transport.kind === 'kafka'
        ? await this.claimAndProduce(topic, records, claims)
        : await this.feedInProcessIngest(topic, records, claims);
    } catch (error) {
      throw new InfrastructureUnavailableError(
        `the request was not accepted (${(error as Error).message}); send it again as it is: records already accepted are recognised by their event_id`,
        { cause: error },
      );
    }
  }

  /** Kafka: claims the ids and produces the fresh records in one transaction. */
  private claimAndProduce(
    topic: InboundTopic,
    records: AdmittedRecord[],
    claims: InboundEventClaim[],
  ): Promise<Set<string>> {
    return this.transactions.run(async ({ processed }) => {
      const fresh = await processed.claimMany(this.group, claims);
      await this.publisher.publishMany(
        topic,
        records.filter(({ event }) => fresh.has(event.event_id)),
      );
      return fresh;
    });
  }

  /** In-process: publishes what ingest has not claimed, then waits until ingest claimed it. */
  private async feedInProcessIngest(
    topic: InboundTopic,
    records: AdmittedRecord[],
    claims: InboundEventClaim[],
  ): Promise<Set<string>> {
    const handled = await this.processed.claimedAmong(this.ingestGroup, claims);
    const fresh = records.filter(({ event }) => !handled.has(event.event_id));
    await this.publisher.publishMany(topic, fresh);
    const waiting = claims.filter((claim) => !handled.has(claim.eventId));
    const deadline = Date.now() + IN_PROCESS_HANDLING_TIMEOUT_MS;
    while (waiting.length > 0) {
      const claimed = await this.processed.claimedAmong(this.ingestGroup, waiting);
      if (claimed.size === waiting.length) break;
      if (Date.now() > deadline) {
        // Queued, and handled later unless the process stops first: a resend is then safe,
        // and recognised once ingest has claimed the first copy.
        throw new Error(
          `ingest has not handled ${waiting.length - claimed.size} of them within ${IN_PROCESS_HANDLING_TIMEOUT_MS / 1000} s`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, IN_PROCESS_POLL_MS));
    }
    return new Set(fresh.map(({ event }) => event.event_id));
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

function claimOf(topic: InboundTopic, event: AdmittedRecord['event']): InboundEventClaim {
  return { eventId: event.event_id, topic, occurredAt: event.occurred_at };
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
