/**
 * The transactional outbox, one helper for both tables that owe an outbound event: a finding's
 * `bridge.sync.*` (`sync_events`) and a confirmed repair's `bridge.sync.repaired`
 * (`repair_jobs`). A row owes its event while it has an `outbound_event_id` and no
 * `published_at`; its writer publishes right after recording, and a relay takes whatever a crash
 * left owed. Relaying locks the rows it takes and skips locked ones, so two relays never send the
 * same row at once, and marks them published in the same transaction once the broker
 * acknowledged them.
 */
import type { EntityManager } from 'typeorm';
import { RepairJobEntity } from './entities/repair-job.entity';
import { SyncEventEntity } from './entities/sync-event.entity';

/** The tables with an outbox (each has a partial index on its owed rows). */
export type OutboxTable = 'sync_events' | 'repair_jobs';

const OUTBOX_ENTITIES = { sync_events: SyncEventEntity, repair_jobs: RepairJobEntity } as const;

/** The condition of an owed row. */
export const OWED = `(outbound_event_id IS NOT NULL AND published_at IS NULL)`;

export interface OwedRows<R, T> {
  /** A `SELECT … WHERE ${OWED} … FOR UPDATE SKIP LOCKED` of at most a batch of rows. */
  select: string;
  params: unknown[];
  fromRow: (row: R) => T;
  /** Marks the relayed items published, within the relay's transaction. */
  markPublished: (manager: EntityManager, items: T[]) => Promise<void>;
}

/** Takes owed rows, hands them to `send`, and marks them published once it resolves. */
export function relayOwedRows<R, T>(
  em: EntityManager,
  owed: OwedRows<R, T>,
  send: (items: T[]) => Promise<void>,
): Promise<number> {
  return em.transaction(async (manager) => {
    const rows = await manager.query<R[]>(owed.select, owed.params);
    if (rows.length === 0) return 0;
    const items = rows.map(owed.fromRow);
    await send(items);
    await owed.markPublished(manager, items);
    return items.length;
  });
}

/** How many rows of `table` owe their event (the outbox backlog). */
export function countOwedRows(em: EntityManager, table: OutboxTable): Promise<number> {
  // `OWED`, as the partial index on owed rows reads it.
  return em
    .createQueryBuilder(OUTBOX_ENTITIES[table], 'o')
    .where('o.outboundEventId IS NOT NULL AND o.publishedAt IS NULL')
    .getCount();
}
