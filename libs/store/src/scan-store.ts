/**
 * The scan records (see docs/design.md, Scans). The rest of the scanner's persistent state is
 * `ScanCursorStore` (the cursors that make scans incremental) and `KnownRunIds` (the run ids
 * Cappella listed).
 *
 * A scan is asked for by inserting a `requested` row (by the schedule, an operator or the API,
 * in any process), and carried out by whichever scanner holds the scan lock: it takes the row
 * over as its `holder`, and every page it reads ends in one transaction that records the page's
 * findings and moves the checkpoint, guarded by that holding. A scanner killed mid-page
 * leaves the previous checkpoint behind, so the next holder re-reads that page and no more; a
 * scanner whose row was taken over (it lost the lock) finds its transaction refused and stops.
 */
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { MISMATCH_TYPES, type MismatchType } from '@bridge/contracts';
import { InvalidRecordError, ScanInProgressError } from '@bridge/errors';

export const SCAN_STATUSES = ['requested', 'running', 'paused', 'completed', 'failed'] as const;
export type ScanStatus = (typeof SCAN_STATUSES)[number];
export const SCAN_MODES = ['full', 'incremental'] as const;
export type ScanMode = (typeof SCAN_MODES)[number];
export const SCAN_TRIGGERS = ['schedule', 'manual'] as const;
export type ScanTrigger = (typeof SCAN_TRIGGERS)[number];
export const SCAN_PHASES = ['cappella', 'hippo', 'done'] as const;
export type ScanPhase = (typeof SCAN_PHASES)[number];

/** The listings a scan pages through, in the order it reads them. */
export const SCANNED_COMPONENTS = ['cappella', 'hippo'] as const;
export type ScannedComponent = (typeof SCANNED_COMPONENTS)[number];

const listingCheckpoint = z.object({
  /** Cursor of the next page to read; null: the listing's beginning. */
  after: z.string().nullable(),
  /**
   * Where the next scan should start reading this listing: the cursor of the first page that
   * held a run too recent to judge (it is judged next time), else of the last page read.
   */
  resumeAt: z.string().nullable(),
  /** True once a too-recent run fixed `resumeAt`; later pages no longer move it. */
  resumeFixed: z.boolean(),
});

export type ListingCheckpoint = z.infer<typeof listingCheckpoint>;

const checkpointSchema = z.object({ cappella: listingCheckpoint, hippo: listingCheckpoint });
export type ScanCheckpoint = z.infer<typeof checkpointSchema>;

const perComponent = z.object({ cappella: z.number().int(), hippo: z.number().int() });
export type PerComponent = z.infer<typeof perComponent>;

const countsSchema = z.partialRecord(z.enum(MISMATCH_TYPES), z.number().int());
const errorsSchema = z.array(z.object({ at: z.string(), message: z.string() }));

const ScanKindSchema = z.object({
  trigger: z.enum(SCAN_TRIGGERS),
  mode: z.enum(SCAN_MODES),
  status: z.enum(SCAN_STATUSES),
  phase: z.enum(SCAN_PHASES),
  checkpoint: checkpointSchema.nullable(),
  counts: countsSchema,
  pages: perComponent,
  items: perComponent,
  requests: perComponent,
  errors: errorsSchema,
});

export interface Scan {
  id: string;
  trigger: ScanTrigger;
  mode: ScanMode;
  status: ScanStatus;
  phase: ScanPhase;
  requestedBy: string | null;
  /** The scanner carrying the scan out (its last one, once it ended). */
  holder: string | null;
  requestedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
  /** Runs changed after this are left to the next scan (lag may still be in flight). */
  graceCutoff: Date | null;
  /** Null until the scan starts. */
  checkpoint: ScanCheckpoint | null;
  /** Findings recorded, per mismatch type. */
  counts: Partial<Record<MismatchType, number>>;
  /** Pages read per listing. */
  pages: PerComponent;
  /** Runs (Cappella) and entities (Hippo) read. */
  items: PerComponent;
  /** Requests made per component (listings, lookups and single reads). */
  requests: PerComponent;
  /** What the previous comparable scan read: the basis of the completion estimate. */
  estimatedItems: number | null;
  /** The latest errors, oldest first (a bounded list). */
  errors: Array<{ at: string; message: string }>;
  lastError: string | null;
}

/** What a page of a scan adds to its record, committed with the page's findings. */
export interface ScanProgress {
  phase: ScanPhase;
  checkpoint: ScanCheckpoint;
  counts: Partial<Record<MismatchType, number>>;
  pages: PerComponent;
  items: PerComponent;
  requests: PerComponent;
}

/** Errors kept on a scan row; older ones are dropped. */
const KEPT_ERRORS = 20;

interface ScanRow {
  id: string;
  trigger: string;
  mode: string;
  status: string;
  phase: string;
  requested_by: string | null;
  holder: string | null;
  requested_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  updated_at: Date;
  grace_cutoff: Date | null;
  checkpoint: unknown;
  counts: unknown;
  pages: unknown;
  items: unknown;
  requests: unknown;
  estimated_items: number | null;
  errors: unknown;
  last_error: string | null;
}

const ACTIVE = `status IN ('requested', 'running', 'paused')`;

export class ScanStore {
  private readonly em: EntityManager;

  constructor(db: DataSource | EntityManager) {
    this.em = db instanceof DataSource ? db.manager : db;
  }

  /**
   * Asks for a scan. At most one scan is active at a time: while one is requested, running or
   * paused, this throws a `ScanInProgressError` naming it.
   */
  async request(spec: {
    trigger: ScanTrigger;
    mode: ScanMode;
    requestedBy?: string | null;
  }): Promise<Scan> {
    try {
      const rows = await this.em.query<ScanRow[]>(
        `INSERT INTO scans (id, trigger, mode, requested_by) VALUES ($1, $2, $3, $4) RETURNING *`,
        [randomUUID(), spec.trigger, spec.mode, spec.requestedBy ?? null],
      );
      return scanFromRow(rows[0]);
    } catch (error) {
      const active = await this.active();
      if (active) throw new ScanInProgressError(active.id);
      throw error;
    }
  }

  /** The requested, running or paused scan, if any. */
  async active(): Promise<Scan | null> {
    return this.one(`SELECT * FROM scans WHERE ${ACTIVE}`);
  }

  findById(id: string): Promise<Scan | null> {
    return this.one(`SELECT * FROM scans WHERE id = $1`, [id]);
  }

  /** The most recently requested scan. */
  latest(): Promise<Scan | null> {
    return this.one(`SELECT * FROM scans ORDER BY requested_at DESC, id LIMIT 1`);
  }

  /** The most recently finished completed scan, of the given mode when one is given. */
  latestCompleted(mode?: ScanMode): Promise<Scan | null> {
    return this.one(
      `SELECT * FROM scans WHERE status = 'completed' AND ($1::text IS NULL OR mode = $1)
        ORDER BY finished_at DESC, id LIMIT 1`,
      [mode ?? null],
    );
  }

  /** Scans, newest first. */
  async list(limit = 50): Promise<Scan[]> {
    const rows = await this.em.query<ScanRow[]>(
      `SELECT * FROM scans ORDER BY requested_at DESC, id LIMIT $1`,
      [limit],
    );
    return rows.map(scanFromRow);
  }

  /**
   * Takes the active scan over for `holder` (the holder of the scan lock): a requested scan
   * starts with the given settings; a running or paused one (its scanner died or gave up the
   * lock) keeps its own and continues from its checkpoint. Null when no scan is active.
   */
  async takeOver(
    holder: string,
    start: {
      mode: ScanMode;
      graceCutoff: Date;
      checkpoint: ScanCheckpoint;
      estimatedItems: number | null;
    },
  ): Promise<Scan | null> {
    const [rows] = await this.em.query<[ScanRow[], number]>(
      `UPDATE scans SET holder = $1, status = 'running', updated_at = now(),
              started_at = COALESCE(started_at, now()),
              mode = CASE WHEN started_at IS NULL THEN $2 ELSE mode END,
              grace_cutoff = COALESCE(grace_cutoff, $3),
              checkpoint = CASE WHEN started_at IS NULL THEN $4::jsonb ELSE checkpoint END,
              estimated_items = CASE WHEN started_at IS NULL THEN $5 ELSE estimated_items END
        WHERE ${ACTIVE}
        RETURNING *`,
      [
        holder,
        start.mode,
        start.graceCutoff,
        JSON.stringify(start.checkpoint),
        start.estimatedItems,
      ],
    );
    return rows.length === 0 ? null : scanFromRow(rows[0]);
  }

  /**
   * Adds a page's progress to the scan `holder` carries out; false when the scan is no longer
   * its own (taken over, or ended), in which case the caller's transaction must roll back.
   */
  async saveProgress(id: string, holder: string, progress: ScanProgress): Promise<boolean> {
    const [, affected] = await this.em.query<[unknown, number]>(
      `UPDATE scans SET phase = $3, checkpoint = $4::jsonb, updated_at = now(),
              counts = (SELECT COALESCE(jsonb_object_agg(k, v), '{}'::jsonb) FROM (
                SELECT k, sum(v::int) AS v FROM (
                  SELECT key AS k, value AS v FROM jsonb_each_text(counts)
                  UNION ALL SELECT key, value FROM jsonb_each_text($5::jsonb)) AS both_counts
                GROUP BY k) AS summed),
              pages = jsonb_build_object('cappella', COALESCE((pages->>'cappella')::int, 0) + $6, 'hippo', COALESCE((pages->>'hippo')::int, 0) + $7),
              items = jsonb_build_object('cappella', COALESCE((items->>'cappella')::int, 0) + $8, 'hippo', COALESCE((items->>'hippo')::int, 0) + $9),
              requests = jsonb_build_object('cappella', COALESCE((requests->>'cappella')::int, 0) + $10, 'hippo', COALESCE((requests->>'hippo')::int, 0) + $11)
        WHERE id = $1 AND holder = $2 AND status IN ('running', 'paused')`,
      [
        id,
        holder,
        progress.phase,
        JSON.stringify(progress.checkpoint),
        JSON.stringify(progress.counts),
        progress.pages.cappella,
        progress.pages.hippo,
        progress.items.cappella,
        progress.items.hippo,
        progress.requests.cappella,
        progress.requests.hippo,
      ],
    );
    return affected > 0;
  }

  /** Marks the scan paused (waiting out an outage) or running again, recording why. */
  async setPaused(id: string, holder: string, reason: string | null): Promise<boolean> {
    const [, affected] = await this.em.query<[unknown, number]>(
      `UPDATE scans SET status = $3, updated_at = now(),
              last_error = COALESCE($4, last_error),
              errors = CASE WHEN $4::text IS NULL THEN errors ELSE ${appendedError('$4')} END
        WHERE id = $1 AND holder = $2 AND status IN ('running', 'paused')`,
      [id, holder, reason === null ? 'running' : 'paused', reason],
    );
    return affected > 0;
  }

  /** Ends the scan as completed; false when it is not this holder's to end. */
  async complete(id: string, holder: string): Promise<boolean> {
    const [, affected] = await this.em.query<[unknown, number]>(
      `UPDATE scans SET status = 'completed', phase = 'done', finished_at = now(), updated_at = now()
        WHERE id = $1 AND holder = $2 AND status IN ('running', 'paused')`,
      [id, holder],
    );
    return affected > 0;
  }

  /** Ends the scan as failed, keeping its checkpoint so that it can be resumed. */
  async fail(id: string, holder: string, reason: string): Promise<boolean> {
    const [, affected] = await this.em.query<[unknown, number]>(
      `UPDATE scans SET status = 'failed', finished_at = now(), updated_at = now(), last_error = $3,
              errors = ${appendedError('$3')}
        WHERE id = $1 AND holder = $2 AND status IN ('running', 'paused')`,
      [id, holder, reason],
    );
    return affected > 0;
  }

  /**
   * Asks for a failed scan to be carried on from its checkpoint; throws a
   * `ScanInProgressError` if another scan is active. False when the scan is not failed.
   */
  async resume(id: string): Promise<boolean> {
    try {
      const [, affected] = await this.em.query<[unknown, number]>(
        `UPDATE scans SET status = 'requested', finished_at = NULL, updated_at = now()
          WHERE id = $1 AND status = 'failed'`,
        [id],
      );
      return affected > 0;
    } catch (error) {
      const active = await this.active();
      if (active) throw new ScanInProgressError(active.id);
      throw error;
    }
  }

  /** Links recorded findings to the scan that found them. */
  async linkFindings(scanId: string, syncEventIds: string[]): Promise<void> {
    if (syncEventIds.length === 0) return;
    await this.em.query(
      `INSERT INTO scan_findings (scan_id, sync_event_id)
       SELECT $1, id FROM unnest($2::uuid[]) AS f(id) ON CONFLICT DO NOTHING`,
      [scanId, syncEventIds],
    );
  }

  /** Ids of the findings a scan recorded. */
  async findingIds(scanId: string): Promise<string[]> {
    const rows = await this.em.query<Array<{ sync_event_id: string }>>(
      `SELECT sync_event_id FROM scan_findings WHERE scan_id = $1 ORDER BY sync_event_id`,
      [scanId],
    );
    return rows.map((row) => row.sync_event_id);
  }

  private async one(sql: string, params: unknown[] = []): Promise<Scan | null> {
    const rows = await this.em.query<ScanRow[]>(sql, params);
    return rows.length === 0 ? null : scanFromRow(rows[0]);
  }
}

/** `errors` with one more entry (the message in parameter `param`), the oldest dropped. */
function appendedError(param: string): string {
  return `(SELECT COALESCE(jsonb_agg(e ORDER BY n), '[]'::jsonb) FROM (
            SELECT e, n FROM jsonb_array_elements(errors || jsonb_build_array(
              jsonb_build_object('at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'message', ${param}::text)))
              WITH ORDINALITY AS a(e, n)
            ORDER BY n DESC LIMIT ${KEPT_ERRORS}) AS kept)`;
}

function scanFromRow(row: ScanRow): Scan {
  const kind = ScanKindSchema.safeParse({
    trigger: row.trigger,
    mode: row.mode,
    status: row.status,
    phase: row.phase,
    checkpoint: row.started_at === null ? null : row.checkpoint,
    counts: row.counts,
    pages: withZeros(row.pages),
    items: withZeros(row.items),
    requests: withZeros(row.requests),
    errors: row.errors,
  });
  if (!kind.success) {
    throw new InvalidRecordError(
      `scan ${row.id} does not fit its kind: ${z.prettifyError(kind.error)}`,
    );
  }
  const date = (value: Date | null) => (value === null ? null : new Date(value));
  return {
    ...kind.data,
    id: row.id,
    requestedBy: row.requested_by,
    holder: row.holder,
    requestedAt: new Date(row.requested_at),
    startedAt: date(row.started_at),
    finishedAt: date(row.finished_at),
    updatedAt: new Date(row.updated_at),
    graceCutoff: date(row.grace_cutoff),
    estimatedItems: row.estimated_items,
    lastError: row.last_error,
  };
}

/** Per-component counters start as `{}`: read absent ones as 0. */
function withZeros(value: unknown): unknown {
  const record = (typeof value === 'object' && value !== null ? value : {}) as Record<
    string,
    unknown
  >;
  return { cappella: record.cappella ?? 0, hippo: record.hippo ?? 0 };
}
