/**
 * The pipeline's side of the sync event log: what ingest, the checker, the re-checker, the
 * scanner and repair write and look up. Recording is idempotent by `dedupe_key`: the first
 * writer creates the row, later writers of the same finding get the existing row back and
 * `created: false`, which is how callers know not to publish the finding a second time. What
 * the API reads is `SyncEventQueries`; what operators do, `FindingOperatorActions`.
 *
 * Rows go in and come out typed by kind (`sync-event-kinds.ts`): every read parses the row with
 * `syncEventFromRow`, so callers never cast `details`.
 */
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager, type QueryDeepPartialEntity } from 'typeorm';
import {
  SyncEventTypes,
  BRIDGE_HEALER,
  initialStateOf,
  tierOf,
  type DetailsOf,
  type NewSyncEvent,
  type SyncEvent,
  type SyncEventOf,
  type SyncEventType,
} from './sync-event-kinds';
import { SyncEventEntity } from './entities/sync-event.entity';
import {
  CLOSE_AS_HEALED_VALUES,
  CLOSE_AS_RESOLVED_VALUES,
  FINDINGS,
  FINDINGS_WHERE,
  syncEventFromRow,
  type SyncEventRow,
} from './sync-event-rows';
import { OWED, countOwedRows, relayOwedRows } from './outbox';

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

/** Arbitrary constant naming the stale-cache lock among PostgreSQL advisory locks. */
const STALE_CACHE_LOCK_ID = 7_311_204_518;

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
    // Raw SQL: INSERT from unnest arrays with ON CONFLICT, feeding the hourly rollup
    // in the same statement.
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
    // Raw SQL: a CTE updates rows in place from unnest arrays and moves their counts in
    // the rollup, all in one statement.
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
    await this.em
      .createQueryBuilder()
      .update(SyncEventEntity)
      .set({ publishedAt: () => 'now()' })
      .where('createdDay = ANY(CAST(:days AS date[]))', { days })
      .andWhere('id = ANY(CAST(:ids AS uuid[]))', { ids: rows.map((row) => row.id) })
      .andWhere('publishedAt IS NULL')
      .execute();
  }

  /**
   * The outbox relay's step: takes up to `limit` rows whose outbound event is still owed and
   * that are at least `minAgeMs` old (younger ones are being published by their writer),
   * hands them to `send`, and marks them published once it resolves. The rows stay locked
   * meanwhile and locked rows are skipped, so two relays never send the same row at once.
   * A row `send` finds nothing to announce for is marked too: nothing ever will, and it must
   * not be picked again at every pass. Returns how many rows were taken.
   */
  relayOwed(
    minAgeMs: number,
    limit: number,
    send: (rows: SyncEvent[]) => Promise<void>,
  ): Promise<number> {
    return relayOwedRows(
      this.em,
      {
        // Raw SQL: the outbox helper runs the select it is given, in its own locked transaction.
        select: `SELECT * FROM sync_events
                  WHERE ${OWED}
                    AND created_at < now() - make_interval(secs => $1::double precision / 1000)
                  ORDER BY created_at
                  LIMIT $2
                  FOR UPDATE SKIP LOCKED`,
        params: [minAgeMs, limit],
        fromRow: syncEventFromRow,
        markPublished: (manager, owed: SyncEvent[]) =>
          new SyncEventLog(manager).markPublished(owed),
      },
      send,
    );
  }

  /** Rows whose outbound event is owed (the outbox backlog); served by a partial index. */
  countOwed(): Promise<number> {
    return countOwedRows(this.em, 'sync_events');
  }

  /** Rows with these ids, by id (unknown ids are absent from the map). */
  async findByIds(ids: string[]): Promise<Map<string, SyncEvent>> {
    if (ids.length === 0) return new Map();
    const rows = await this.em
      .createQueryBuilder(SyncEventEntity, 'e')
      .select('*')
      .where('e.id = ANY(CAST(:ids AS uuid[]))', { ids })
      .getRawMany<SyncEventRow>();
    return new Map(rows.map((row) => [row.id, syncEventFromRow(row)]));
  }

  /** Resolves the open findings among `ids`; returns the ids it resolved. */
  async resolveMany(ids: string[], resolvedBy: string): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const resolved = await this.em
      .createQueryBuilder()
      .update(SyncEventEntity)
      .set({ ...CLOSE_AS_RESOLVED_VALUES, resolvedBy })
      .where({ ...FINDINGS_WHERE, state: 'open' })
      .andWhere('id = ANY(CAST(:ids AS uuid[]))', { ids })
      .returning('id')
      .execute();
    return new Set((resolved.raw as Array<{ id: string }>).map((row) => row.id));
  }

  /**
   * Claims up to `limit` open findings due for a re-check, oldest due first: each is made due
   * again `leaseMs` later in the same statement, so another re-checker skips it, and a
   * re-checker that dies leaves it due again rather than stuck. Locked rows are skipped, and
   * so are findings whose repair is executing: that repair's confirmation decides them.
   */
  async claimDueRechecks(claim: RecheckClaim): Promise<SyncEvent[]> {
    // Raw SQL: one statement picks, locks (SKIP LOCKED) and leases; its due schedule and
    // NOT EXISTS would be raw fragments in the builder anyway.
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
    // Raw SQL: UPDATE … FROM unnest applies each finding's own outcome in one statement.
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
    // Raw SQL: UPDATE … FROM unnest closes each finding with its own reason in one statement.
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
    const update = this.em
      .createQueryBuilder()
      .update(SyncEventEntity)
      .set({ nextRecheckAt: () => 'now()' })
      .where({ ...FINDINGS_WHERE, state: 'open' });
    if (filter.ids !== undefined) {
      update.andWhere('id = ANY(CAST(:ids AS uuid[]))', { ids: filter.ids });
    }
    if (filter.createdBefore !== undefined) {
      update.andWhere('createdAt < :createdBefore', { createdBefore: filter.createdBefore });
    }
    const { affected } = await update.execute();
    return affected ?? 0;
  }

  /**
   * Which of these subjects (a mismatch type at a source's record) already have an unresolved
   * finding, whoever recorded it: the answer is the subjects' `openSubjectKey`s. The scanner
   * uses it not to record again what the checker or an earlier scan found and is still open.
   */
  async openSubjects(subjects: readonly FindingSubject[]): Promise<Set<string>> {
    if (subjects.length === 0) return new Set();
    // Raw SQL: a join against unnest arrays asks about every subject in one statement.
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
    // Raw rows (see `syncEventFromRow`): this is the checker's look-up for every batch.
    const query = this.em
      .createQueryBuilder(SyncEventEntity, 'e')
      .select('*')
      .where('e.dedupeKey = ANY(CAST(:keys AS text[]))', { keys });
    if (options.recordsSince !== undefined) {
      const since = options.recordsSince.toISOString().slice(0, 10);
      query.andWhere(`(e.tier = 'finding' OR e.createdDay >= :since)`, { since });
    }
    const rows = await query.getRawMany<SyncEventRow>();
    return new Map(rows.map((row) => [row.dedupe_key, syncEventFromRow(row)]));
  }

  /**
   * Holds the right to record stale-cache findings until the transaction ends. A writer that
   * leaves out artifacts an open finding already names (a scan, the staleness check) looks
   * them up first; two writers doing that at once would each see none and both report the
   * artifact. Only inside a transaction (`StoreTransactions.run`).
   */
  async lockStaleCaches(): Promise<void> {
    if (!(this.em.queryRunner?.isTransactionActive ?? false)) {
      throw new Error('lockStaleCaches holds a lock until the transaction ends: call it in one');
    }
    // Raw SQL: advisory locks are functions, not tables.
    await this.em.query('SELECT pg_advisory_xact_lock($1)', [STALE_CACHE_LOCK_ID]);
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
    const query = this.em
      .createQueryBuilder(SyncEventEntity, 'e')
      .select('*')
      .where({ ...FINDINGS_WHERE, eventType: SyncEventTypes.StaleCache, state: 'open' })
      .andWhere(`e.details -> 'artifact_ids' ?| CAST(:artifactIds AS text[])`, { artifactIds })
      .orderBy('e.id');
    if (this.em.queryRunner?.isTransactionActive ?? false) query.setLock('pessimistic_write');
    const rows = await query.getRawMany<SyncEventRow>();
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
    const close: QueryDeepPartialEntity<SyncEventEntity> =
      closing === null
        ? {}
        : closing.as === 'resolved'
          ? { ...CLOSE_AS_RESOLVED_VALUES, resolvedBy: closing.by }
          : { ...CLOSE_AS_HEALED_VALUES, resolutionNote: closing.reason };
    const { affected } = await this.em
      .createQueryBuilder()
      .update(SyncEventEntity)
      // The details are one jsonb value, written whole (the builder would not know their shape).
      .set({ details: () => 'CAST(:details AS jsonb)', ...close })
      .setParameter('details', JSON.stringify(details))
      .where({ ...FINDINGS_WHERE, id, eventType, state: 'open' })
      .execute();
    return (affected ?? 0) > 0;
  }

  async findById(id: string): Promise<SyncEvent | null> {
    const row = await this.em
      .createQueryBuilder(SyncEventEntity, 'e')
      .select('*')
      .where({ id })
      .getRawOne<SyncEventRow>();
    return row === undefined ? null : syncEventFromRow(row);
  }
}
