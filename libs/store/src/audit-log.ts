/**
 * The audit log: one row per admin action tried through the query API (who, with which role,
 * what, on which object, when, why, from where, and how it ended), read back newest first with
 * filters and keyset pagination. The API decides what an entry says (`admin-audit-entry.ts`) and
 * writes it before the action runs, then settles its outcome; this is only what the database
 * keeps. Nothing here edits an entry once it is settled.
 */
import { DataSource, type EntityManager } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';

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

interface AuditRow {
  id: string;
  at: Date;
  actor: string;
  role: string;
  action: string;
  object_type: string;
  object_id: string | null;
  reason: string | null;
  client_address: string | null;
  outcome: string;
  details: Record<string, unknown>;
}

const FILTER = `($1::text IS NULL OR actor = $1)
  AND ($2::text IS NULL OR action = $2)
  AND ($3::text IS NULL OR object_type = $3)
  AND ($4::text IS NULL OR object_id = $4)
  AND ($5::timestamptz IS NULL OR "at" >= $5)
  AND ($6::timestamptz IS NULL OR "at" < $6)`;

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
    const rows = await this.em.query<AuditRow[]>(
      `INSERT INTO audit_log (id, actor, role, action, object_type, object_id, reason,
                              client_address, outcome, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb)
       RETURNING *`,
      [
        uuidv7(),
        entry.actor,
        entry.role,
        entry.action,
        entry.objectType,
        entry.objectId,
        entry.reason,
        entry.clientAddress,
        entry.outcome,
        JSON.stringify(entry.details),
      ],
    );
    return auditEntryFromRow(rows[0]);
  }

  /**
   * Records how a pending entry's action ended. Throws when there is no such pending entry, so
   * that an outcome is never lost quietly (nor a settled entry rewritten).
   */
  async settle(id: string, settlement: AuditSettlement): Promise<void> {
    // An UPDATE answers [rows, affected count] through TypeORM.
    const [, affected] = await this.em.query<[unknown, number]>(
      `UPDATE audit_log SET outcome = $2, object_id = $3, details = $4::jsonb
        WHERE id = $1 AND outcome = $5`,
      [
        id,
        settlement.outcome,
        settlement.objectId,
        JSON.stringify(settlement.details),
        AUDIT_PENDING,
      ],
    );
    if (affected === 0) throw new Error(`no pending audit entry ${id} to settle`);
  }

  /** One page, newest first; `after` is the previous page's last position. */
  async page(
    filter: AuditFilter,
    after: AuditPosition | null,
    limit: number,
  ): Promise<{ items: AuditEntry[]; next: AuditPosition | null }> {
    const rows = await this.em.query<Array<AuditRow & { position_at: string }>>(
      `SELECT *, "at"::text AS position_at FROM audit_log
        WHERE ${FILTER}
          AND ($7::timestamptz IS NULL OR ("at", id) < ($7::timestamptz, $8::uuid))
        ORDER BY "at" DESC, id DESC LIMIT $9`,
      [
        filter.actor ?? null,
        filter.action ?? null,
        filter.objectType ?? null,
        filter.objectId ?? null,
        filter.since ?? null,
        filter.until ?? null,
        after?.at ?? null,
        after?.id ?? null,
        limit + 1,
      ],
    );
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    return {
      items: items.map(auditEntryFromRow),
      next: rows.length > limit && last ? { at: last.position_at, id: last.id } : null,
    };
  }
}

function auditEntryFromRow(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    at: new Date(row.at),
    actor: row.actor,
    role: row.role,
    action: row.action,
    objectType: row.object_type,
    objectId: row.object_id,
    reason: row.reason,
    clientAddress: row.client_address,
    outcome: row.outcome,
    details: row.details,
  };
}
