/**
 * Ingest: every inbound component event enters Bridge here.
 *
 * Events arrive in batches from the six inbound topics (already decoded and checked against
 * their Avro schema by the consumer loop, which dead-letters what is unreadable). In one
 * database transaction per batch it claims the event ids (a redelivered or replayed event is
 * dropped), records the events that are facts (reconciliations, batch completions, evictions),
 * settles stale-cache findings that an eviction closes (the repair library's rule), and
 * publishes check work for the events that call for a check. The transaction commits only after the check work is
 * acknowledged, so a crash anywhere in between replays the whole batch and nothing is lost.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { BRIDGE_CONFIG, type BridgeConfig } from '@bridge/config';
import { checkWorkFor, inboundLogEntryFor, isCheckTrigger, partitionKeyOf } from '@bridge/checks';
import { INBOUND_TOPICS, Topics, type CheckRequested } from '@bridge/contracts';
import { EventPublisher, type ReceivedEvent } from '@bridge/messaging';
import { settleEvictedStaleCaches } from '@bridge/repair';
import { StoreTransactions, type NewSyncEvent } from '@bridge/store';

export type InboundTopic = (typeof INBOUND_TOPICS)[number];

/** Consumer group of ingest, before the deployment's prefix. */
export const INGEST_GROUP = 'ingest';

@Injectable()
export class InboundEventIngestor {
  private readonly logger = new Logger('InboundEventIngestor');
  private readonly group: string;

  constructor(
    @Inject(BRIDGE_CONFIG) config: BridgeConfig,
    private readonly publisher: EventPublisher,
    private readonly transactions: StoreTransactions,
  ) {
    // The group names whose claims these are: a second deployment sharing the database
    // claims the same events for itself.
    this.group = `${config.consumerGroupPrefix}-${INGEST_GROUP}`;
  }

  /** Ingests one batch; see the module comment for the guarantees. */
  async ingest(events: Array<ReceivedEvent<InboundTopic>>): Promise<void> {
    const started = Date.now();
    const unique = [...new Map(events.map((e) => [e.event.event_id, e])).values()];
    await this.transactions.run(async ({ log, processed, repairs }) => {
      const fresh = await processed.claimMany(
        this.group,
        unique.map((e) => ({
          eventId: e.event.event_id,
          topic: e.topic,
          occurredAt: e.event.occurred_at,
        })),
      );
      const accepted = unique.filter((e) => fresh.has(e.event.event_id));
      if (accepted.length === 0) return;

      const work: CheckRequested[] = [];
      const facts: NewSyncEvent[] = [];
      for (const received of accepted) {
        if (isCheckTrigger(received)) {
          const item = checkWorkFor(received);
          if (item) work.push(item);
        }
        const fact = inboundLogEntryFor(received);
        if (fact) facts.push(fact);
      }
      await log.recordMany(facts);
      const repaired = await settleEvictedStaleCaches(
        accepted.flatMap((e) => (e.topic === Topics.CanonCacheEvicted ? e.event.artifact_ids : [])),
        { log, repairs },
      );
      await this.publisher.publishMany(
        Topics.BridgeInternalChecks,
        work.map((item) => ({ event: item, key: partitionKeyOf(item) })),
      );
      await this.publisher.publishMany(
        Topics.BridgeSyncRepaired,
        repaired.map((event) => ({ event, key: event.run_id ?? event.sync_event_id })),
      );
      this.logger.debug(
        `ingested ${accepted.length}/${events.length} event(s) in ${Date.now() - started} ms: ${work.length} check(s)`,
      );
    });
  }
}
