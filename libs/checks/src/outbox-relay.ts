/**
 * The outbox relay: re-publishes the outbound events of findings that were recorded but never
 * announced (a process that died between the insert and the publish acknowledgement).
 *
 * It runs once when the service starts and then every `OUTBOX_RELAY_INTERVAL_MS`, in both
 * transports, and only looks at rows older than `OUTBOX_RELAY_MIN_AGE_MS`, which their writer
 * is still publishing. Each row is re-sent with the event id fixed at recording, so a consumer
 * that saw the first attempt de-duplicates the second.
 */
import type { SyncEventLog } from '@bridge/store';
import type { EventPublisher } from '@bridge/messaging';
import { FindingPublisher } from './finding-publisher';

/** Rows per relay transaction; a backlog is worked off in several. */
const RELAY_BATCH = 500;

export class OutboxRelay {
  private readonly findings: FindingPublisher;

  constructor(
    private readonly log: SyncEventLog,
    publisher: EventPublisher,
    private readonly minAgeMs: number,
  ) {
    this.findings = new FindingPublisher(publisher);
  }

  /** Sends everything owed now; returns how many findings were re-published. */
  async relay(): Promise<number> {
    let total = 0;
    for (;;) {
      const sent = await this.log.relayOwed(this.minAgeMs, RELAY_BATCH, async (rows) => {
        await this.findings.publishOwed(rows);
      });
      total += sent;
      if (sent < RELAY_BATCH) return total;
    }
  }
}
