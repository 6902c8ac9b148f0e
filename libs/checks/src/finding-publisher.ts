/**
 * Publishes the outbound events that recorded findings owe (`bridge.sync.ok`, `.mismatch`,
 * `.stale_cache`), rebuilt from the stored rows so a re-send carries the same event id.
 *
 * The one way findings go out: the check runner calls it right after recording, and the
 * `OutboxRelay` calls it for rows whose first publish never completed (a crash in between).
 */
import { Topics } from '@bridge/contracts';
import type { EventPublisher } from '@bridge/messaging';
import { BridgeMetrics } from '@bridge/metrics';
import type { SyncEvent } from '@bridge/store';
import { outboundEventFor, type OutboundFinding } from './finding';

export class FindingPublisher {
  constructor(private readonly publisher: EventPublisher) {}

  /**
   * Publishes what the rows owe (rows already published or announcing nothing are skipped);
   * resolves once the transport acknowledged every event, with the rows sent.
   */
  async publishOwed(rows: SyncEvent[]): Promise<SyncEvent[]> {
    const owed = rows
      .filter((row) => row.outboundEventId && !row.publishedAt)
      .map((row) => ({ row, outbound: outboundEventFor(row) }))
      .filter((o): o is { row: SyncEvent; outbound: OutboundFinding } => o.outbound !== null);
    if (owed.length === 0) return [];
    const outbound = owed.map((o) => o.outbound);
    await Promise.all([
      this.publisher.publishMany(
        Topics.BridgeSyncOk,
        outbound.flatMap((o) => (o.topic === Topics.BridgeSyncOk ? [o] : [])),
      ),
      this.publisher.publishMany(
        Topics.BridgeSyncMismatch,
        outbound.flatMap((o) => (o.topic === Topics.BridgeSyncMismatch ? [o] : [])),
      ),
      this.publisher.publishMany(
        Topics.BridgeSyncStaleCache,
        outbound.flatMap((o) => (o.topic === Topics.BridgeSyncStaleCache ? [o] : [])),
      ),
    ]);
    for (const { row } of owed) {
      BridgeMetrics.findings.inc({
        event_type: row.eventType,
        mismatch_type: row.mismatchType ?? 'none',
      });
    }
    return owed.map(({ row }) => row);
  }
}
