/**
 * What the query API and the dashboards read from the sync event log: filtered pages newest
 * first (stable while rows arrive), the open findings a bulk action would touch, and counts per
 * kind and per hour from the hourly rollup instead of counting rows. Read-only; the pipeline's
 * writes are `SyncEventLog`'s, operators' actions `FindingOperatorActions`'.
 */
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { MISMATCH_TYPES, type MismatchType } from '@bridge/contracts';
import { SyncEventTypes, type SyncEvent, type SyncEventType } from './sync-event-kinds';
import { FINDINGS, syncEventFromRow, type SyncEventRow } from './sync-event-rows';

export interface FindingCount {
  eventType: SyncEventType;
  mismatchType: MismatchType | null;
  total: number;
  open: number;
}

/** Findings of one kind recorded within one hour. */
export interface HourlyFindingCount {
  hour: Date;
  eventType: string;
  mismatchType: string | null;
  total: number;
}

/**
 * A filtered page of the log (see `SyncEventQueries.page`). `unresolved` is the open findings that
 * are not snoozed (all open ones with `includeSnoozed`), `snoozed` the open findings an operator
 * snoozed, `resolved` the closed ones (resolved or healed), `all` every row, records included.
 */
export interface SyncEventQuery extends FindingFilter {
  status: 'unresolved' | 'snoozed' | 'resolved' | 'all';
  /** With `unresolved`: snoozed findings too. */
  includeSnoozed?: boolean;
  /** Position of the last row of the previous page. */
  after?: SyncEventPosition | null;
  limit: number;
}

/** Which rows a listing or a bulk action is about, beyond their state. */
export interface FindingFilter {
  eventType?: string;
  mismatchType?: string;
  source?: string;
  sourceId?: string;
  /** Only the findings of this scan. */
  scanId?: string;
  /** Created at or after. */
  since?: Date;
  /** Created before. */
  until?: Date;
}

/** Where a row stands in the newest-first order: its exact `created_at` (as text) and id. */
export interface SyncEventPosition {
  createdAt: string;
  id: string;
}

export interface SyncEventPage {
  items: SyncEvent[];
  /** Position to ask the next page after; null on the last page. */
  next: SyncEventPosition | null;
}

/**
 * The filter columns of a listing as SQL over seven parameters from `$first` on (event type,
 * mismatch type, source, source id, since, until, scan id), given in `filterParams` order.
 */
export function filterConditions(first: number): string {
  const $ = (offset: number) => `$${first + offset}`;
  return `(${$(0)}::text IS NULL OR event_type = ${$(0)})
          AND (${$(1)}::text IS NULL OR mismatch_type = ${$(1)})
          AND (${$(2)}::text IS NULL OR source = ${$(2)})
          AND (${$(3)}::text IS NULL OR source_id = ${$(3)})
          AND (${$(4)}::timestamptz IS NULL OR created_at >= ${$(4)})
          AND (${$(5)}::timestamptz IS NULL OR created_at < ${$(5)})
          AND (${$(6)}::text IS NULL OR (details ? 'scan_id' AND details ->> 'scan_id' = ${$(6)}))`;
}

/** The parameters of `filterConditions`. */
export function filterParams(filter: FindingFilter): unknown[] {
  return [
    filter.eventType ?? null,
    filter.mismatchType ?? null,
    filter.source ?? null,
    filter.sourceId ?? null,
    filter.since ?? null,
    filter.until ?? null,
    filter.scanId ?? null,
  ];
}

const countKey = z.object({
  eventType: z.enum(Object.values(SyncEventTypes)),
  mismatchType: z.enum(MISMATCH_TYPES).nullable(),
});

export class SyncEventQueries {
  private readonly em: EntityManager;

  /** @param db the data source, or a transaction's manager. */
  constructor(db: DataSource | EntityManager) {
    this.em = db instanceof DataSource ? db.manager : db;
  }

  /**
   * Rows recorded per event type and mismatch type (from the rollup: rows recorded since the
   * log began, including those retention has since dropped), with the findings of each kind
   * open now (for status lines and dashboards).
   */
  async countByKind(): Promise<FindingCount[]> {
    const rows = await this.em.query<
      Array<{ event_type: unknown; mismatch_type: unknown; total: string; open: string }>
    >(
      `SELECT c.event_type, NULLIF(c.mismatch_type, '') AS mismatch_type, c.total,
              COALESCE(o.open, 0) AS open
         FROM (SELECT event_type, mismatch_type, sum(total) AS total FROM sync_event_counts
                GROUP BY event_type, mismatch_type HAVING sum(total) > 0) c
         LEFT JOIN (SELECT event_type, COALESCE(mismatch_type, '') AS mismatch_type,
                           count(*) AS open
                      FROM sync_events WHERE ${FINDINGS} AND state = 'open'
                     GROUP BY 1, 2) o
           ON o.event_type = c.event_type AND o.mismatch_type = c.mismatch_type
        ORDER BY c.event_type, c.mismatch_type`,
    );
    return rows.map((row) => ({
      ...countKey.parse({ eventType: row.event_type, mismatchType: row.mismatch_type }),
      total: Number(row.total),
      open: Number(row.open),
    }));
  }

  /**
   * One page of the log, newest first, filtered; `after` is the position of the previous
   * page's last row. Paging by `(created_at, id)` keeps pages stable while rows are inserted:
   * new rows come before the first page, never between two pages already read.
   */
  async page(query: SyncEventQuery): Promise<SyncEventPage> {
    const rows = await this.em.query<Array<SyncEventRow & { position_at: string }>>(
      `SELECT *, created_at::text AS position_at FROM sync_events
        WHERE ($1::text = 'all'
               OR ($1::text = 'unresolved' AND ${FINDINGS} AND state = 'open'
                   AND ($12::bool OR snoozed_until IS NULL OR snoozed_until <= now()))
               OR ($1::text = 'snoozed' AND ${FINDINGS} AND state = 'open'
                   AND snoozed_until > now())
               OR ($1::text = 'resolved' AND ${FINDINGS} AND state IN ('resolved', 'healed')))
          AND ${filterConditions(2)}
          AND ($9::timestamptz IS NULL OR (created_at, id) < ($9::timestamptz, $10::uuid))
        ORDER BY created_at DESC, id DESC
        LIMIT $11`,
      [
        query.status,
        ...filterParams(query),
        query.after?.createdAt ?? null,
        query.after?.id ?? null,
        query.limit + 1,
        query.includeSnoozed ?? false,
      ],
    );
    const items = rows.slice(0, query.limit);
    const last = items[items.length - 1];
    return {
      items: items.map(syncEventFromRow),
      next: rows.length > query.limit && last ? { createdAt: last.position_at, id: last.id } : null,
    };
  }

  /**
   * The open findings a filter selects (snoozed ones too), oldest first, at most `limit`, and
   * how many there are in all: what a bulk action would touch, and its preview.
   */
  async openFindings(
    filter: FindingFilter,
    limit: number,
  ): Promise<{ total: number; items: SyncEvent[] }> {
    const rows = await this.em.query<Array<SyncEventRow & { total: string }>>(
      `SELECT *, count(*) OVER () AS total FROM sync_events
        WHERE ${FINDINGS} AND state = 'open' AND ${filterConditions(1)}
        ORDER BY created_at, id
        LIMIT $8`,
      [...filterParams(filter), limit],
    );
    return { total: Number(rows[0]?.total ?? 0), items: rows.map(syncEventFromRow) };
  }

  /**
   * Rows recorded per hour (UTC) and kind over the hours that overlap `[since, until)`, oldest
   * hour first, from the rollup (whole hours: the first hour counts from its start).
   */
  async countsPerHour(since: Date, until: Date): Promise<HourlyFindingCount[]> {
    const rows = await this.em.query<
      Array<{ hour: Date; event_type: string; mismatch_type: string | null; total: string }>
    >(
      `SELECT hour, event_type, NULLIF(mismatch_type, '') AS mismatch_type, sum(total) AS total
         FROM sync_event_counts
        WHERE hour >= date_trunc('hour', $1::timestamptz, 'UTC') AND hour < $2
        GROUP BY hour, event_type, mismatch_type HAVING sum(total) > 0
        ORDER BY hour, event_type, mismatch_type`,
      [since, until],
    );
    return rows.map((row) => ({
      hour: new Date(row.hour),
      eventType: row.event_type,
      mismatchType: row.mismatch_type,
      total: Number(row.total),
    }));
  }

  /** Open mismatches and stale caches per mismatch type and source, most first. */
  async openMismatches(): Promise<Array<{ mismatchType: string; source: string; open: number }>> {
    const rows = await this.em.query<
      Array<{ mismatch_type: string; source: string; open: string }>
    >(
      `SELECT mismatch_type, source, count(*) AS open FROM sync_events
        WHERE ${FINDINGS} AND mismatch_type IS NOT NULL AND state = 'open'
        GROUP BY mismatch_type, source ORDER BY count(*) DESC, mismatch_type, source`,
    );
    return rows.map((row) => ({
      mismatchType: row.mismatch_type,
      source: row.source,
      open: Number(row.open),
    }));
  }
}
