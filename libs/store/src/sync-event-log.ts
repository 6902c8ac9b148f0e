/**
 * Reads and writes of the sync event log. Recording is idempotent by `dedupe_key`: the first
 * writer creates the row, later writers of the same finding get the existing row back and
 * `created: false`, which is how callers know not to publish the finding a second time.
 *
 * Rows go in and come out typed by kind (`sync-event-kinds.ts`): every read parses the row with
 * `syncEventFromRow`, so callers never cast `details`.
 */
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { MISMATCH_TYPES, type MismatchType } from '@bridge/contracts';
import { InvalidRecordError, NotFoundError, StateConflictError } from '@bridge/errors';
import {
  SYNC_EVENT_STATES,
  SyncEventKindSchema,
  SyncEventTypes,
  BRIDGE_HEALER,
  initialStateOf,
  tierOf,
  type DetailsOf,
  type NewSyncEvent,
  type SyncEvent,
  type SyncEventOf,
  type SyncEventState,
  type SyncEventType,
} from './sync-event-kinds';

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
 * A filtered page of the log (see `SyncEventLog.page`). `unresolved` is the open findings that
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
function filterConditions(first: number): string {
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
function filterParams(filter: FindingFilter): unknown[] {
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

/** What a finding is about: a mismatch type at one record (`source_id`) of a component. */
export interface FindingSubject {
  mismatchType: string;
  source: string;
  sourceId: string;
}

/** The key `openSubjects` answers with. */
export function openSubjectKey(subject: FindingSubject): string {
  return JSON.stringify([subject.mismatchType, subject.source, subject.sourceId]);
}

export interface RecordedSyncEvent {
  event: SyncEvent;
  /** False when a row with the same de-duplication key already existed. */
  created: boolean;
}

/** The UTC day of the statement's time: the day column of every time-split table. */
const TODAY_UTC = `(now() AT TIME ZONE 'UTC')::date`;

/**
 * Restricts a statement to the findings' partitions. Every statement about open or closed
 * findings says so, because `state` alone does not let PostgreSQL skip the records' partitions.
 */
const FINDINGS = `tier = 'finding'`;

/** Rollup shards (see `SyncEventCountEntity`). */
const COUNT_SHARDS = 8;

function countShard(): number {
  return Math.floor(Math.random() * COUNT_SHARDS);
}

/**
 * The columns of new rows, one array per column, as the `unnest` of a multi-row write takes
 * them; a row announcing itself gets its outbound event id now, so a re-publish reuses it.
 */
function newRowColumns(entries: readonly NewSyncEvent[]) {
  return {
    eventType: entries.map((e) => e.eventType),
    source: entries.map((e) => e.source),
    sourceId: entries.map((e) => e.sourceId),
    dedupeKey: entries.map((e) => e.dedupeKey),
    actor: entries.map((e) => e.actor ?? null),
    details: entries.map((e) => JSON.stringify(e.details)),
    mismatchType: entries.map((e) => e.mismatchType),
    repairStrategy: entries.map((e) => e.repairStrategy),
    outboundEventId: entries.map((e) => (e.publishes ? randomUUID() : null)),
    state: entries.map((e) => initialStateOf(e.eventType)),
    tier: entries.map((e) => tierOf(initialStateOf(e.eventType))),
  };
}

/**
 * SQL adding rows to the hourly rollup: `rows` is a query with `created_at`, `event_type`,
 * `mismatch_type` and `delta` (1 for a row recorded, -1 for a row replaced away).
 */
function addToCounts(rows: string, shardParam: string): string {
  return `INSERT INTO sync_event_counts (hour, event_type, mismatch_type, shard, total)
          SELECT date_trunc('hour', d.created_at, 'UTC'), d.event_type,
                 COALESCE(d.mismatch_type, ''), ${shardParam}::smallint, sum(d.delta)
            FROM (${rows}) AS d
           GROUP BY 1, 2, 3
          ON CONFLICT (hour, event_type, mismatch_type, shard)
          DO UPDATE SET total = sync_event_counts.total + EXCLUDED.total`;
}

/**
 * The columns that close a finding as resolved: its state and the resolved flag with its time,
 * which the table's checks hold together.
 */
const CLOSE_AS_RESOLVED = `state = 'resolved', resolved = true, resolved_at = now()`;

/** How the re-checker claims findings: how many, for how long, and the schedule's first step. */
export interface RecheckClaim {
  limit: number;
  /** A claimed finding is due again after this long if its re-check never records an outcome. */
  leaseMs: number;
  /**
   * A finding never re-checked is due this long after it was recorded; null when there is no
   * schedule (findings are then re-checked only when a scan or an operator asks).
   */
  firstDelayMs: number | null;
}

/** How a finding is closed: resolved by someone, or healed with what Bridge saw. */
export type FindingClosure = { as: 'resolved'; by: string } | { as: 'healed'; reason: string };

/** What one re-check of a finding that still holds leads to. */
export interface RecheckOutcome {
  id: string;
  /** Milliseconds until the next re-check; null leaves the next one to a scan or an operator. */
  nextInMs: number | null;
  /** False when the components could not be read: the attempt does not count. */
  counted: boolean;
}

/** A finding whose discrepancy went away, and what Bridge saw that says so. */
export interface Healing {
  id: string;
  reason: string;
}

export class SyncEventLog {
  private readonly em: EntityManager;

  /**
   * @param db the data source, or a transaction's manager (see `Store.transaction`), so that
   *   every call of this log belongs to that transaction.
   */
  constructor(db: DataSource | EntityManager) {
    this.em = db instanceof DataSource ? db.manager : db;
  }

  /** Records one finding; see `recordMany`. */
  async record(entry: NewSyncEvent): Promise<RecordedSyncEvent> {
    const [recorded] = await this.recordMany([entry]);
    return recorded;
  }

  /**
   * Records findings; entries whose key already exists (in any partition, whatever the day)
   * are returned as they are stored, with `created: false`. Results are in input order; an
   * entry repeating an earlier entry's key gets that entry's row and `created: false`.
   *
   * One row per key across partitions: the keys are looked up in every partition first, and
   * only the missing ones are inserted. The unique key `(dedupe_key, tier, created_day)` makes
   * concurrent writers of one key on the same day agree (the loser's insert does nothing and it
   * reads the winner's row); writers of one key are serialised upstream anyway (the checker's
   * check lease, the consumer group's partition ownership, the scan lock), which is what keeps
   * two writers from ever racing across midnight.
   *
   * `replaceable` names an event type that is not a final answer (a check that failed for good
   * may be requeued and succeed): a stored row of that type is replaced by a new finding of
   * another type, keeping its id, with a new outbound event and the new finding's state (a
   * resolution of the old one does not carry over), recorded today; the result then says
   * `created`.
   *
   * `existing` is what the caller found looking these keys up itself (`findByDedupeKeys`,
   * under whatever serialises its writers of a key, as the checker does under its check lease):
   * the look-up is then not done twice.
   *
   * Each write adds to the hourly rollup (`sync_event_counts`) in the same statement.
   *
   * Plain SQL over `unnest` rather than the query builder: this is the checker's hot path (one
   * call per batch of hundreds of findings) and the builder's per-row work dominated it.
   */
  async recordMany(
    entries: NewSyncEvent[],
    options: { replaceable?: SyncEventType; existing?: ReadonlyMap<string, SyncEvent> } = {},
  ): Promise<RecordedSyncEvent[]> {
    if (entries.length === 0) return [];
    const firstIndex = new Map<string, number>();
    entries.forEach((entry, index) => {
      if (!firstIndex.has(entry.dedupeKey)) firstIndex.set(entry.dedupeKey, index);
    });
    const unique = [...firstIndex.values()].map((index) => entries[index]);
    const byKey = new Map(
      options.existing
        ? unique.flatMap((e) => {
            const row = options.existing?.get(e.dedupeKey);
            return row ? [[e.dedupeKey, row] as const] : [];
          })
        : await this.findByDedupeKeys(unique.map((e) => e.dedupeKey)),
    );
    const written = new Set<string>();
    const replaceable = options.replaceable;
    const toReplace = unique.filter((e) => {
      const stored = byKey.get(e.dedupeKey);
      return (
        stored !== undefined && stored.eventType === replaceable && e.eventType !== replaceable
      );
    });
    const toInsert = unique.filter((e) => !byKey.has(e.dedupeKey));
    for (const row of await this.insertNew(toInsert)) {
      byKey.set(row.dedupeKey, row);
      written.add(row.dedupeKey);
    }
    if (replaceable !== undefined) {
      for (const row of await this.replace(toReplace, byKey, replaceable)) {
        byKey.set(row.dedupeKey, row);
        written.add(row.dedupeKey);
      }
    }
    // Keys another writer recorded (or replaced) between the look-up and the write.
    const meantToReplace = new Set(toReplace.map((e) => e.dedupeKey));
    const lost = unique
      .map((e) => e.dedupeKey)
      .filter((key) => !written.has(key) && (!byKey.has(key) || meantToReplace.has(key)));
    if (lost.length > 0) {
      for (const [key, row] of await this.findByDedupeKeys(lost)) byKey.set(key, row);
      // A racer's row may itself be the replaceable kind: this outcome still replaces it.
      const lostKeys = new Set(lost);
      const late = unique.filter((e) => {
        const stored = byKey.get(e.dedupeKey);
        return (
          lostKeys.has(e.dedupeKey) &&
          !meantToReplace.has(e.dedupeKey) &&
          stored !== undefined &&
          stored.eventType === replaceable &&
          e.eventType !== replaceable
        );
      });
      if (replaceable !== undefined) {
        for (const row of await this.replace(late, byKey, replaceable)) {
          byKey.set(row.dedupeKey, row);
          written.add(row.dedupeKey);
        }
      }
    }
    return entries.map((entry, index) => {
      const event = byKey.get(entry.dedupeKey);
      if (!event) throw new Error(`sync event ${entry.dedupeKey} was neither written nor found`);
      return {
        event,
        created: written.has(entry.dedupeKey) && firstIndex.get(entry.dedupeKey) === index,
      };
    });
  }

  /** Inserts rows for keys that had none; returns those it wrote (not those a racer did). */
  private async insertNew(entries: NewSyncEvent[]): Promise<SyncEvent[]> {
    if (entries.length === 0) return [];
    const columns = newRowColumns(entries);
    const rows = await this.em.query<SyncEventRow[]>(
      `WITH inserted AS (
         INSERT INTO sync_events (id, event_type, source, source_id, dedupe_key, actor, details,
                                  mismatch_type, repair_strategy, outbound_event_id, state, tier,
                                  created_day)
         SELECT e.*, ${TODAY_UTC}
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[],
                       $6::text[], $7::jsonb[], $8::text[], $9::text[], $10::uuid[],
                       $11::text[], $12::text[]) AS e
         ON CONFLICT DO NOTHING
         RETURNING *),
       counted AS (${addToCounts(`SELECT created_at, event_type, mismatch_type, 1 AS delta FROM inserted`, '$13')})
       SELECT * FROM inserted`,
      [
        entries.map(() => randomUUID()),
        columns.eventType,
        columns.source,
        columns.sourceId,
        columns.dedupeKey,
        columns.actor,
        columns.details,
        columns.mismatchType,
        columns.repairStrategy,
        columns.outboundEventId,
        columns.state,
        columns.tier,
        countShard(),
      ],
    );
    return rows.map(syncEventFromRow);
  }

  /**
   * Replaces stored rows of the `replaceable` type by these entries, keeping their ids (the
   * stored row is matched by its id); the row moves to today's partition of its new tier. Returns the rows it replaced (a row
   * replaced meanwhile by another writer is left alone).
   */
  private async replace(
    candidates: NewSyncEvent[],
    stored: Map<string, SyncEvent>,
    replaceable: SyncEventType,
  ): Promise<SyncEvent[]> {
    const pairs = candidates.flatMap((entry) => {
      const row = stored.get(entry.dedupeKey);
      return row ? [{ entry, row }] : [];
    });
    if (pairs.length === 0) return [];
    const old = pairs.map((pair) => pair.row);
    const entries = pairs.map((pair) => pair.entry);
    const columns = newRowColumns(entries);
    const rows = await this.em.query<SyncEventRow[]>(
      `WITH replaced AS (
         UPDATE sync_events e SET
           event_type = o.event_type, source = o.source, source_id = o.source_id,
           actor = o.actor, details = o.details, mismatch_type = o.mismatch_type,
           repair_strategy = o.repair_strategy, outbound_event_id = o.outbound_event_id,
           published_at = NULL, created_at = now(), created_day = ${TODAY_UTC},
           state = o.state, tier = o.tier, resolved = false, resolved_at = NULL,
           resolved_by = NULL, resolution_note = NULL
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[],
                       $7::text[], $8::text[], $9::uuid[], $10::text[], $11::text[])
                AS o(id, event_type, source, source_id, actor, details, mismatch_type,
                     repair_strategy, outbound_event_id, state, tier)
          WHERE e.id = o.id AND e.event_type = $12
         RETURNING e.*),
       gone AS (
         SELECT g.* FROM unnest($13::uuid[], $14::timestamptz[], $15::text[], $16::text[])
                       AS g(id, created_at, event_type, mismatch_type)
          WHERE g.id IN (SELECT id FROM replaced)),
       counted AS (${addToCounts(
         `SELECT created_at, event_type, mismatch_type, 1 AS delta FROM replaced
          UNION ALL SELECT created_at, event_type, mismatch_type, -1 FROM gone`,
         '$17',
       )})
       SELECT * FROM replaced`,
      [
        old.map((row) => row.id),
        columns.eventType,
        columns.source,
        columns.sourceId,
        columns.actor,
        columns.details,
        columns.mismatchType,
        columns.repairStrategy,
        columns.outboundEventId,
        columns.state,
        columns.tier,
        replaceable,
        old.map((row) => row.id),
        old.map((row) => row.createdAt),
        old.map((row) => row.eventType),
        old.map((row) => row.mismatchType),
        countShard(),
      ],
    );
    return rows.map(syncEventFromRow);
  }

  /**
   * Marks the outbound events of these rows as sent. The rows' days narrow the update to their
   * partitions (an id alone would be looked for in every partition).
   */
  async markPublished(rows: ReadonlyArray<Pick<SyncEvent, 'id' | 'createdAt'>>): Promise<void> {
    if (rows.length === 0) return;
    const days = [...new Set(rows.map((row) => row.createdAt.toISOString().slice(0, 10)))];
    await this.em.query(
      `UPDATE sync_events SET published_at = now()
        WHERE created_day = ANY($2::date[]) AND id = ANY($1::uuid[]) AND published_at IS NULL`,
      [rows.map((row) => row.id), days],
    );
  }

  /**
   * The outbox relay's step: takes up to `limit` rows whose outbound event is still owed and
   * that are at least `minAgeMs` old (younger ones are being published by their writer),
   * hands them to `send`, and marks them published once it resolves. The rows stay locked
   * meanwhile and locked rows are skipped, so two relays never send the same row at once.
   * A row `send` finds nothing to announce for is marked too: nothing ever will, and it must
   * not be picked again at every pass. Returns how many rows were taken.
   */
  async relayOwed(
    minAgeMs: number,
    limit: number,
    send: (rows: SyncEvent[]) => Promise<void>,
  ): Promise<number> {
    return this.em.transaction(async (manager) => {
      const rows = await manager.query<SyncEventRow[]>(
        `SELECT * FROM sync_events
          WHERE outbound_event_id IS NOT NULL AND published_at IS NULL
            AND created_at < now() - make_interval(secs => $1::double precision / 1000)
          ORDER BY created_at
          LIMIT $2
          FOR UPDATE SKIP LOCKED`,
        [minAgeMs, limit],
      );
      if (rows.length === 0) return 0;
      const owed = rows.map(syncEventFromRow);
      await send(owed);
      await new SyncEventLog(manager).markPublished(owed);
      return owed.length;
    });
  }

  /** Rows whose outbound event is owed (the outbox backlog); served by a partial index. */
  async countOwed(): Promise<number> {
    const [row] = await this.em.query<Array<{ owed: string }>>(
      `SELECT count(*) AS owed FROM sync_events
        WHERE outbound_event_id IS NOT NULL AND published_at IS NULL`,
    );
    return Number(row?.owed ?? 0);
  }

  /** Rows with these ids, by id (unknown ids are absent from the map). */
  async findByIds(ids: string[]): Promise<Map<string, SyncEvent>> {
    if (ids.length === 0) return new Map();
    const rows = await this.em.query<SyncEventRow[]>(
      `SELECT * FROM sync_events WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return new Map(rows.map((row) => [row.id, syncEventFromRow(row)]));
  }

  /** Resolves the open findings among `ids`; returns the ids it resolved. */
  async resolveMany(ids: string[], resolvedBy: string): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const [rows] = await this.em.query<[Array<{ id: string }>, number]>(
      `UPDATE sync_events
          SET ${CLOSE_AS_RESOLVED}, resolved_by = $2
        WHERE ${FINDINGS} AND id = ANY($1::uuid[]) AND state = 'open'
        RETURNING id`,
      [ids, resolvedBy],
    );
    return new Set(rows.map((row) => row.id));
  }

  /**
   * Claims up to `limit` open findings due for a re-check, oldest due first: each is made due
   * again `leaseMs` later in the same statement, so another re-checker skips it, and a
   * re-checker that dies leaves it due again rather than stuck. Locked rows are skipped, and
   * so are findings whose repair is executing: that repair's confirmation decides them.
   */
  async claimDueRechecks(claim: RecheckClaim): Promise<SyncEvent[]> {
    const [rows] = await this.em.query<[SyncEventRow[], number]>(
      `UPDATE sync_events
          SET next_recheck_at = now() + make_interval(secs => $2::double precision / 1000)
        WHERE id IN (
          SELECT id FROM sync_events
           WHERE ${FINDINGS} AND state = 'open'
             AND ((next_recheck_at IS NOT NULL AND next_recheck_at <= now())
                  OR ($3::double precision IS NOT NULL AND next_recheck_at IS NULL
                      AND recheck_count = 0
                      AND created_at <= now() - make_interval(secs => $3::double precision / 1000)))
             AND NOT EXISTS (SELECT 1 FROM repair_jobs j
                              WHERE j.sync_event_id = sync_events.id AND j.state = 'EXECUTING')
           ORDER BY COALESCE(next_recheck_at, created_at), id
           LIMIT $1
           FOR UPDATE SKIP LOCKED)
          AND ${FINDINGS} AND state = 'open'
        RETURNING *`,
      [claim.limit, claim.leaseMs, claim.firstDelayMs],
    );
    return rows.map(syncEventFromRow);
  }

  /** Records re-checks of findings that still hold (closed ones are left as they are). */
  async recordRechecks(outcomes: RecheckOutcome[]): Promise<void> {
    if (outcomes.length === 0) return;
    await this.em.query(
      `UPDATE sync_events e
          SET recheck_count = e.recheck_count + CASE WHEN o.counted THEN 1 ELSE 0 END,
              last_checked_at = CASE WHEN o.counted THEN now() ELSE e.last_checked_at END,
              next_recheck_at = CASE WHEN o.next_ms IS NULL THEN NULL
                                     ELSE now() + make_interval(secs => o.next_ms / 1000) END
         FROM unnest($1::uuid[], $2::double precision[], $3::bool[]) AS o(id, next_ms, counted)
        WHERE e.${FINDINGS} AND e.id = o.id AND e.state = 'open'`,
      [outcomes.map((o) => o.id), outcomes.map((o) => o.nextInMs), outcomes.map((o) => o.counted)],
    );
  }

  /**
   * Closes open findings as healed by Bridge, each with what Bridge saw; returns the rows it
   * closed (a finding closed meanwhile by someone else is left alone and not returned).
   */
  async closeAsHealed(healings: Healing[]): Promise<SyncEvent[]> {
    if (healings.length === 0) return [];
    const [rows] = await this.em.query<[SyncEventRow[], number]>(
      `UPDATE sync_events e
          SET state = 'healed', resolved = true, resolved_at = now(), resolved_by = $3,
              resolution_note = o.reason, last_checked_at = now(),
              recheck_count = e.recheck_count + 1, next_recheck_at = NULL
         FROM unnest($1::uuid[], $2::text[]) AS o(id, reason)
        WHERE e.${FINDINGS} AND e.id = o.id AND e.state = 'open'
        RETURNING e.*`,
      [healings.map((h) => h.id), healings.map((h) => h.reason), BRIDGE_HEALER],
    );
    return rows.map(syncEventFromRow);
  }

  /**
   * Makes open findings due for a re-check now: those recorded before `createdBefore` (a scan
   * just completed: the schedule's "at every scan"), or those with the given `ids` (an
   * operator's "re-check now"). Returns how many it made due.
   */
  async makeRechecksDue(filter: { ids?: string[]; createdBefore?: Date }): Promise<number> {
    const [, affected] = await this.em.query<[unknown, number]>(
      `UPDATE sync_events SET next_recheck_at = now()
        WHERE ${FINDINGS} AND state = 'open'
          AND ($1::uuid[] IS NULL OR id = ANY($1::uuid[]))
          AND ($2::timestamptz IS NULL OR created_at < $2)`,
      [filter.ids ?? null, filter.createdBefore ?? null],
    );
    return affected;
  }

  /**
   * Which of these subjects (a mismatch type at a source's record) already have an unresolved
   * finding, whoever recorded it: the answer is the subjects' `openSubjectKey`s. The scanner
   * uses it not to record again what the checker or an earlier scan found and is still open.
   */
  async openSubjects(subjects: readonly FindingSubject[]): Promise<Set<string>> {
    if (subjects.length === 0) return new Set();
    const rows = await this.em.query<
      Array<{ mismatch_type: string; source: string; source_id: string }>
    >(
      `SELECT DISTINCT e.mismatch_type, e.source, e.source_id
         FROM unnest($1::text[], $2::text[], $3::text[]) AS s(mismatch_type, source, source_id)
         JOIN sync_events e ON e.source = s.source AND e.source_id = s.source_id
                           AND e.mismatch_type = s.mismatch_type
                           AND e.${FINDINGS} AND e.state = 'open'`,
      [
        subjects.map((s) => s.mismatchType),
        subjects.map((s) => s.source),
        subjects.map((s) => s.sourceId),
      ],
    );
    return new Set(
      rows.map((row) =>
        openSubjectKey({
          mismatchType: row.mismatch_type,
          source: row.source,
          sourceId: row.source_id,
        }),
      ),
    );
  }

  /**
   * Existing rows for these de-duplication keys, by key, looked for in every partition; with
   * `recordsSince`, records only in the partitions of that day on (findings still in every
   * partition), which keeps the look-up from growing with the days of records kept.
   */
  async findByDedupeKeys(
    keys: string[],
    options: { recordsSince?: Date } = {},
  ): Promise<Map<string, SyncEvent>> {
    if (keys.length === 0) return new Map();
    const since = options.recordsSince?.toISOString().slice(0, 10) ?? null;
    const rows = await this.em.query<SyncEventRow[]>(
      since === null
        ? `SELECT * FROM sync_events WHERE dedupe_key = ANY($1::text[])`
        : `SELECT * FROM sync_events
            WHERE dedupe_key = ANY($1::text[]) AND (${FINDINGS} OR created_day >= $2::date)`,
      since === null ? [keys] : [keys, since],
    );
    return new Map(rows.map((row) => [row.dedupe_key, syncEventFromRow(row)]));
  }

  /**
   * Unresolved stale-cache findings naming any of these artifacts. Inside a transaction
   * (`StoreTransactions.run`) the rows are locked until it ends, so two writers merging
   * evictions into the same finding do not overwrite each other.
   */
  async findOpenStaleCaches(
    artifactIds: string[],
  ): Promise<Array<SyncEventOf<typeof SyncEventTypes.StaleCache>>> {
    if (artifactIds.length === 0) return [];
    const inTransaction = this.em.queryRunner?.isTransactionActive ?? false;
    const rows = await this.em.query<SyncEventRow[]>(
      `SELECT * FROM sync_events
        WHERE ${FINDINGS} AND event_type = $1 AND state = 'open'
          AND details -> 'artifact_ids' ?| $2::text[]
        ORDER BY id${inTransaction ? ' FOR UPDATE' : ''}`,
      [SyncEventTypes.StaleCache, artifactIds],
    );
    return rows
      .map(syncEventFromRow)
      .flatMap((row) => (row.eventType === SyncEventTypes.StaleCache ? [row] : []));
  }

  /**
   * Replaces the details of an open finding of `eventType` and optionally closes it; returns
   * false if there is no such row (closed already, or of another kind).
   */
  async updateDetails<T extends SyncEventType>(
    id: string,
    eventType: T,
    details: DetailsOf<T>,
    closing: FindingClosure | null,
  ): Promise<boolean> {
    const close =
      closing === null
        ? ''
        : closing.as === 'resolved'
          ? `, ${CLOSE_AS_RESOLVED}, resolved_by = $4`
          : `, state = 'healed', resolved = true, resolved_at = now(), resolved_by = '${BRIDGE_HEALER}', resolution_note = $4`;
    const [, affected] = await this.em.query<[unknown, number]>(
      `UPDATE sync_events SET details = $3::jsonb${close}
        WHERE ${FINDINGS} AND id = $1 AND event_type = $2 AND state = 'open'`,
      [
        id,
        eventType,
        JSON.stringify(details),
        ...(closing === null ? [] : [closing.as === 'resolved' ? closing.by : closing.reason]),
      ],
    );
    return affected > 0;
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
   * Snoozes an open finding until `until` (an operator's), or wakes it (`until` null). Throws
   * `NotFoundError` for an unknown id and `StateConflictError` for a record or a closed finding.
   */
  async snooze(
    id: string,
    snooze: { until: Date; by: string; reason: string | null } | null,
  ): Promise<SyncEvent> {
    const [rows] = await this.em.query<[SyncEventRow[], number]>(
      `UPDATE sync_events SET snoozed_until = $2, snoozed_by = $3, snooze_reason = $4
        WHERE ${FINDINGS} AND id = $1 AND state = 'open'
        RETURNING *`,
      [id, snooze?.until ?? null, snooze?.by ?? null, snooze?.reason ?? null],
    );
    if (rows.length > 0) return syncEventFromRow(rows[0]);
    throw await this.notOpen(id, snooze ? 'snooze' : 'wake');
  }

  /** The error for an action on a row that is not an open finding. */
  async notOpen(id: string, action: string): Promise<Error> {
    const existing = await this.findById(id);
    if (!existing) return new NotFoundError(`no sync event ${id}`);
    if (existing.state === 'record') {
      return new StateConflictError(
        `sync event ${id} is a record (${existing.eventType}), not a finding: there is nothing to ${action}`,
      );
    }
    return new StateConflictError(
      `sync event ${id} was ${existing.state} already, by ${existing.resolvedBy ?? 'someone'}: there is nothing to ${action}`,
    );
  }

  /**
   * An operator resolves an open finding, saying who and, optionally, why. Throws
   * `NotFoundError` for an unknown id and `StateConflictError` for a finding closed already or
   * a record, which has nothing to resolve.
   */
  async resolveByOperator(id: string, by: string, note: string | null): Promise<SyncEvent> {
    const [rows] = await this.em.query<[SyncEventRow[], number]>(
      `UPDATE sync_events SET ${CLOSE_AS_RESOLVED}, resolved_by = $2, resolution_note = $3
        WHERE ${FINDINGS} AND id = $1 AND state = 'open'
        RETURNING *`,
      [id, by, note],
    );
    if (rows.length > 0) return syncEventFromRow(rows[0]);
    throw await this.notOpen(id, 'resolve');
  }

  /** An operator resolves the open findings among `ids`; returns the rows it resolved. */
  async resolveManyByOperator(
    ids: string[],
    by: string,
    note: string | null,
  ): Promise<SyncEvent[]> {
    if (ids.length === 0) return [];
    const [rows] = await this.em.query<[SyncEventRow[], number]>(
      `UPDATE sync_events SET ${CLOSE_AS_RESOLVED}, resolved_by = $2, resolution_note = $3
        WHERE ${FINDINGS} AND id = ANY($1::uuid[]) AND state = 'open'
        RETURNING *`,
      [ids, by, note],
    );
    return rows.map(syncEventFromRow);
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

  async findById(id: string): Promise<SyncEvent | null> {
    const rows = await this.em.query<SyncEventRow[]>(`SELECT * FROM sync_events WHERE id = $1`, [
      id,
    ]);
    return rows.length === 0 ? null : syncEventFromRow(rows[0]);
  }
}

/** A `sync_events` row as the driver returns it from plain SQL (`SELECT *`). */
export interface SyncEventRow {
  id: string;
  event_type: string;
  source: string;
  source_id: string;
  actor: string | null;
  details: unknown;
  state: string;
  resolved: boolean;
  resolved_at: Date | null;
  resolved_by: string | null;
  resolution_note: string | null;
  created_at: Date;
  dedupe_key: string;
  mismatch_type: string | null;
  repair_strategy: string | null;
  outbound_event_id: string | null;
  published_at: Date | null;
  recheck_count?: number;
  next_recheck_at?: Date | null;
  last_checked_at?: Date | null;
  snoozed_until?: Date | null;
  snoozed_by?: string | null;
  snooze_reason?: string | null;
}

const countKey = z.object({
  eventType: z.enum(Object.values(SyncEventTypes)),
  mismatchType: z.enum(MISMATCH_TYPES).nullable(),
});

/**
 * The typed finding a raw row holds. The kind-dependent columns are parsed against the schema
 * of the row's event type, so a row written by a buggy or older writer is refused here, by id
 * and field, rather than read as a finding it is not.
 */
export function syncEventFromRow(row: SyncEventRow): SyncEvent {
  const kind = SyncEventKindSchema.safeParse({
    eventType: row.event_type,
    mismatchType: row.mismatch_type,
    repairStrategy: row.repair_strategy,
    details: row.details,
  });
  if (!kind.success) {
    throw new InvalidRecordError(
      `sync event ${row.id} (${row.event_type}) does not fit its kind: ${z.prettifyError(kind.error)}`,
    );
  }
  return {
    id: row.id,
    source: row.source,
    sourceId: row.source_id,
    actor: row.actor,
    state: stateOf(row),
    resolved: row.resolved,
    resolvedAt: row.resolved_at === null ? null : new Date(row.resolved_at),
    resolvedBy: row.resolved_by,
    resolutionNote: row.resolution_note ?? null,
    createdAt: new Date(row.created_at),
    dedupeKey: row.dedupe_key,
    outboundEventId: row.outbound_event_id,
    publishedAt: row.published_at === null ? null : new Date(row.published_at),
    recheckCount: row.recheck_count ?? 0,
    nextRecheckAt: row.next_recheck_at ? new Date(row.next_recheck_at) : null,
    lastCheckedAt: row.last_checked_at ? new Date(row.last_checked_at) : null,
    snoozedUntil: row.snoozed_until ? new Date(row.snoozed_until) : null,
    snoozedBy: row.snoozed_by ?? null,
    snoozeReason: row.snooze_reason ?? null,
    ...kind.data,
  };
}

function stateOf(row: SyncEventRow): SyncEventState {
  const state = SYNC_EVENT_STATES.find((known) => known === row.state);
  if (!state) throw new InvalidRecordError(`sync event ${row.id} has no known state: ${row.state}`);
  return state;
}
