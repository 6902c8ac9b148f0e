/**
 * What the query API and the dashboards read from the sync event log: filtered pages newest
 * first (stable while rows arrive), the open findings a bulk action would touch, and counts per
 * kind and per hour from the hourly rollup instead of counting rows. Read-only; the pipeline's
 * writes are `SyncEventLog`'s, operators' actions `FindingOperatorActions`'.
 */
import {
  DataSource,
  In,
  IsNull,
  Not,
  type EntityManager,
  type ObjectLiteral,
  type SelectQueryBuilder,
} from 'typeorm';
import { z } from 'zod';
import { MISMATCH_TYPES, type MismatchType } from '@bridge/contracts';
import { SyncEventCountEntity } from './entities/sync-event-count.entity';
import { SyncEventEntity } from './entities/sync-event.entity';
import { SyncEventTypes, type SyncEvent, type SyncEventType } from './sync-event-kinds';
import { FINDINGS_WHERE, syncEventFromRow, type SyncEventRow } from './sync-event-rows';

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
 * Narrows a listing of `sync_events`, read as `e`, to the rows `filter` selects: a condition
 * only for each filter that is set.
 */
function whereFilter<T extends ObjectLiteral>(
  rows: SelectQueryBuilder<T>,
  filter: FindingFilter,
): SelectQueryBuilder<T> {
  if (filter.eventType !== undefined) {
    rows.andWhere('e.eventType = :eventType', { eventType: filter.eventType });
  }
  if (filter.mismatchType !== undefined) {
    rows.andWhere('e.mismatchType = :mismatchType', { mismatchType: filter.mismatchType });
  }
  if (filter.source !== undefined) rows.andWhere('e.source = :source', { source: filter.source });
  if (filter.sourceId !== undefined) {
    rows.andWhere('e.sourceId = :sourceId', { sourceId: filter.sourceId });
  }
  if (filter.since !== undefined) rows.andWhere('e.createdAt >= :since', { since: filter.since });
  if (filter.until !== undefined) rows.andWhere('e.createdAt < :until', { until: filter.until });
  if (filter.scanId !== undefined) {
    // Written as the partial expression index on scan ids is, so that it serves the filter.
    rows.andWhere(`e.details ? 'scan_id' AND e.details ->> 'scan_id' = :scanId`, {
      scanId: filter.scanId,
    });
  }
  return rows;
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
    const rows = await this.em
      .createQueryBuilder()
      .select('c.event_type', 'event_type')
      .addSelect(`NULLIF(c.mismatch_type, '')`, 'mismatch_type')
      .addSelect('c.total', 'total')
      .addSelect('COALESCE(o.open, 0)', 'open')
      .from(
        (recorded) =>
          recorded
            .select('n.eventType', 'event_type')
            .addSelect('n.mismatchType', 'mismatch_type')
            .addSelect('sum(n.total)', 'total')
            .from(SyncEventCountEntity, 'n')
            .groupBy('n.eventType')
            .addGroupBy('n.mismatchType')
            .having('sum(n.total) > 0'),
        'c',
      )
      .leftJoin(
        // Keyed as the rollup is: no mismatch type is the empty one there.
        (open) =>
          open
            .select('e.eventType', 'event_type')
            .addSelect(`COALESCE(e.mismatchType, '')`, 'mismatch_type')
            .addSelect('count(*)', 'open')
            .from(SyncEventEntity, 'e')
            .where({ ...FINDINGS_WHERE, state: 'open' })
            .groupBy('e.eventType')
            .addGroupBy(`COALESCE(e.mismatchType, '')`),
        'o',
        'o.event_type = c.event_type AND o.mismatch_type = c.mismatch_type',
      )
      .orderBy('c.event_type')
      .addOrderBy('c.mismatch_type')
      .getRawMany<{ event_type: unknown; mismatch_type: unknown; total: string; open: string }>();
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
    // The position is PostgreSQL's text of `created_at`: a JS Date would drop its microseconds.
    // Raw rows (see `syncEventFromRow`): entity hydration cost a page about a millisecond.
    const rows = this.em
      .createQueryBuilder(SyncEventEntity, 'e')
      .select('*')
      .addSelect('CAST(e.createdAt AS text)', 'position_at');
    switch (query.status) {
      case 'unresolved':
        rows.where({ ...FINDINGS_WHERE, state: 'open' });
        if (!query.includeSnoozed) {
          rows.andWhere('(e.snoozedUntil IS NULL OR e.snoozedUntil <= now())');
        }
        break;
      case 'snoozed':
        rows.where({ ...FINDINGS_WHERE, state: 'open' }).andWhere('e.snoozedUntil > now()');
        break;
      case 'resolved':
        rows.where({ ...FINDINGS_WHERE, state: In(['resolved', 'healed']) });
        break;
      case 'all':
        break;
    }
    whereFilter(rows, query);
    if (query.after) {
      rows.andWhere(
        '(e.createdAt, e.id) < (CAST(:afterAt AS timestamptz), CAST(:afterId AS uuid))',
        { afterAt: query.after.createdAt, afterId: query.after.id },
      );
    }
    const raw = await rows
      .orderBy('e.createdAt', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .limit(query.limit + 1)
      .getRawMany<SyncEventRow & { position_at: string }>();
    const last = raw[query.limit - 1];
    return {
      items: raw.slice(0, query.limit).map(syncEventFromRow),
      next: raw.length > query.limit && last ? { createdAt: last.position_at, id: last.id } : null,
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
    const rows = this.em
      .createQueryBuilder(SyncEventEntity, 'e')
      .select('*')
      .addSelect('count(*) OVER ()', 'total')
      .where({ ...FINDINGS_WHERE, state: 'open' });
    const raw = await whereFilter(rows, filter)
      .orderBy('e.createdAt', 'ASC')
      .addOrderBy('e.id', 'ASC')
      .limit(limit)
      .getRawMany<SyncEventRow & { total: string }>();
    return { total: Number(raw[0]?.total ?? 0), items: raw.map(syncEventFromRow) };
  }

  /**
   * Rows recorded per hour (UTC) and kind over the hours that overlap `[since, until)`, oldest
   * hour first, from the rollup (whole hours: the first hour counts from its start).
   */
  async countsPerHour(since: Date, until: Date): Promise<HourlyFindingCount[]> {
    const rows = await this.em
      .createQueryBuilder(SyncEventCountEntity, 'c')
      .select('c.hour', 'hour')
      .addSelect('c.eventType', 'event_type')
      .addSelect(`NULLIF(c.mismatchType, '')`, 'mismatch_type')
      .addSelect('sum(c.total)', 'total')
      .where(`c.hour >= date_trunc('hour', CAST(:since AS timestamptz), 'UTC')`, { since })
      .andWhere('c.hour < :until', { until })
      .groupBy('c.hour')
      .addGroupBy('c.eventType')
      .addGroupBy('c.mismatchType')
      .having('sum(c.total) > 0')
      // By the selected columns: the kinds without a mismatch type (null) come last.
      .orderBy('hour')
      .addOrderBy('event_type')
      .addOrderBy('mismatch_type')
      .getRawMany<{
        hour: Date;
        event_type: string;
        mismatch_type: string | null;
        total: string;
      }>();
    return rows.map((row) => ({
      hour: new Date(row.hour),
      eventType: row.event_type,
      mismatchType: row.mismatch_type,
      total: Number(row.total),
    }));
  }

  /** Open mismatches and stale caches per mismatch type and source, most first. */
  /** When the oldest open finding was recorded; null when none is open. */
  async oldestOpenFindingAt(): Promise<Date | null> {
    const row = await this.em
      .createQueryBuilder(SyncEventEntity, 'e')
      .select('min(e.createdAt)', 'oldest')
      .where({ ...FINDINGS_WHERE, state: 'open' })
      .getRawOne<{ oldest: Date | string | null }>();
    return row?.oldest ? new Date(row.oldest) : null;
  }

  async openMismatches(): Promise<Array<{ mismatchType: string; source: string; open: number }>> {
    const rows = await this.em
      .createQueryBuilder(SyncEventEntity, 'e')
      .select('e.mismatchType', 'mismatch_type')
      .addSelect('e.source', 'source')
      .addSelect('count(*)', 'open')
      .where({ ...FINDINGS_WHERE, mismatchType: Not(IsNull()), state: 'open' })
      .groupBy('e.mismatchType')
      .addGroupBy('e.source')
      .orderBy('count(*)', 'DESC')
      .addOrderBy('e.mismatchType')
      .addOrderBy('e.source')
      .getRawMany<{ mismatch_type: string; source: string; open: string }>();
    return rows.map((row) => ({
      mismatchType: row.mismatch_type,
      source: row.source,
      open: Number(row.open),
    }));
  }
}
