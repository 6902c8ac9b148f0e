/**
 * The audit log: one row per admin action tried through the query API (who, with which role,
 * what, on which object, when, why, from where, and how it ended), read back newest first with
 * filters and keyset pagination. The API decides what an entry says (`admin-audit-entry.ts`) and
 * writes it before the action runs, then settles its outcome; this is only what the database
 * keeps. Nothing here edits an entry once it is settled.
 */
import { DataSource, type EntityManager, type QueryDeepPartialEntity } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { AuditLogEntity } from './entities/audit-log.entity';
import { newestFirstPage } from './newest-first-page';

/** An outcome not known yet: the action is running, or its process died before it ended. */
export const AUDIT_PENDING = 'pending';

export interface NewAuditEntry {
  /** The principal's name (a token's name, a JWT's subject). */
  actor: string;
  role: string;
  /** What was tried, e.g. `resolve`, `approve`, `requeue_many`. */
  action: string;
  /** What it was tried on, e.g. `sync_event`, `repair_job`, `dead_letter`, `scan`. */
  objectType: string;
  /** Null for an action on a set (a filtered requeue) or one refused before its object existed. */
  objectId: string | null;
  reason: string | null;
  clientAddress: string | null;
  /** `ok`, `pending`, or the error code of a refusal (`state_conflict`, `forbidden`…). */
  outcome: string;
  details: Record<string, unknown>;
}

export interface AuditEntry extends NewAuditEntry {
  id: string;
  at: Date;
}

/** How an action ended, written over the pending entry. */
export type AuditSettlement = Pick<NewAuditEntry, 'outcome' | 'objectId' | 'details'>;

export interface AuditFilter {
  actor?: string;
  action?: string;
  objectType?: string;
  objectId?: string;
  since?: Date;
  until?: Date;
}

/** Where an entry stands in the newest-first order: its time as PostgreSQL prints it, its id. */
export interface AuditPosition {
  at: string;
  id: string;
}

/** How TypeORM types a written `jsonb` value: it cannot take the `unknown` members of one. */
type WrittenDetails = QueryDeepPartialEntity<AuditLogEntity['details']>;

export class AuditLog {
  private readonly em: EntityManager;

  constructor(db: DataSource | EntityManager) {
    this.em = db instanceof DataSource ? db.manager : db;
  }

  /**
   * Appends an entry, stamped with the database's time; returns it with its id and time. The
   * id is time-ordered (UUIDv7, monotonic in this process), so that entries stamped in the same
   * millisecond (PGlite's clock resolution) still list in the order they were made.
   */
  async append(entry: NewAuditEntry): Promise<AuditEntry> {
    const id = uuidv7();
    const inserted = await this.em
      .createQueryBuilder()
      .insert()
      .into(AuditLogEntity)
      .values({ id, ...entry, details: entry.details as WrittenDetails })
      // The time is the database's, and the details as `jsonb` keeps them.
      .returning(['at', 'details'])
      .updateEntity(false)
      .execute();
    const [stored] = inserted.raw as Array<Pick<AuditLogEntity, 'at' | 'details'>>;
    return { ...entry, id, at: new Date(stored.at), details: stored.details };
  }

  /**
   * Records how a pending entry's action ended. Throws when there is no such pending entry, so
   * that an outcome is never lost quietly (nor a settled entry rewritten).
   */
  async settle(id: string, settlement: AuditSettlement): Promise<void> {
    const { affected } = await this.em
      .createQueryBuilder()
      .update(AuditLogEntity)
      .set({
        outcome: settlement.outcome,
        objectId: settlement.objectId,
        details: settlement.details as WrittenDetails,
      })
      .where({ id, outcome: AUDIT_PENDING })
      .execute();
    if (affected === 0) throw new Error(`no pending audit entry ${id} to settle`);
  }

  /** One page, newest first; `after` is the previous page's last position. */
  async page(
    filter: AuditFilter,
    after: AuditPosition | null,
    limit: number,
  ): Promise<{ items: AuditEntry[]; next: AuditPosition | null }> {
    const query = this.em.createQueryBuilder(AuditLogEntity, 'a');
    if (filter.actor !== undefined) query.andWhere('a.actor = :actor', { actor: filter.actor });
    if (filter.action !== undefined) {
      query.andWhere('a.action = :action', { action: filter.action });
    }
    if (filter.objectType !== undefined) {
      query.andWhere('a.objectType = :objectType', { objectType: filter.objectType });
    }
    if (filter.objectId !== undefined) {
      query.andWhere('a.objectId = :objectId', { objectId: filter.objectId });
    }
    if (filter.since !== undefined) query.andWhere('a.at >= :since', { since: filter.since });
    if (filter.until !== undefined) query.andWhere('a.at < :until', { until: filter.until });
    const page = await newestFirstPage(query, { time: 'a.at', id: 'a.id' }, after, limit);
    return { items: page.items.map(auditEntryOf), next: page.next };
  }
}

function auditEntryOf(row: AuditLogEntity): AuditEntry {
  return {
    id: row.id,
    at: row.at,
    actor: row.actor,
    role: row.role,
    action: row.action,
    objectType: row.objectType,
    objectId: row.objectId,
    reason: row.reason,
    clientAddress: row.clientAddress,
    outcome: row.outcome,
    details: row.details,
  };
}
