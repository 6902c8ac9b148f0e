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
import {
  DataSource,
  In,
  type EntityManager,
  type QueryDeepPartialEntity,
  type SelectQueryBuilder,
} from 'typeorm';
import { z } from 'zod';
import { MISMATCH_TYPES, type MismatchType } from '@bridge/contracts';
import { InvalidRecordError, ScanInProgressError } from '@bridge/errors';
import { ScanFindingEntity } from './entities/scan-finding.entity';
import { ScanEntity } from './entities/scan.entity';

export const SCAN_STATUSES = ['requested', 'running', 'paused', 'completed', 'failed'] as const;
export type ScanStatus = (typeof SCAN_STATUSES)[number];
export const SCAN_MODES = ['full', 'incremental'] as const;
export type ScanMode = (typeof SCAN_MODES)[number];
export const SCAN_TRIGGERS = ['schedule', 'manual'] as const;
export type ScanTrigger = (typeof SCAN_TRIGGERS)[number];
export const SCAN_PHASES = ['cappella', 'hippo', 'outputs', 'digest', 'canon', 'done'] as const;
export type ScanPhase = (typeof SCAN_PHASES)[number];
/**
 * How a full scan reads the components: `listing` pages through both (the only way for an
 * incremental scan, and the reference pass that finds dangling references); `digest` compares
 * range digests and lists only where they differ (docs/design.md, "Range digests").
 */
export const SCAN_METHODS = ['listing', 'digest'] as const;
export type ScanMethod = (typeof SCAN_METHODS)[number];

/** The listings whose cursors an incremental scan resumes from, in the order it reads them. */
export const SCANNED_COMPONENTS = ['cappella', 'hippo'] as const;
export type ScannedComponent = (typeof SCANNED_COMPONENTS)[number];

/** Every listing a scan may page through: a full scan also reads Canon's artifacts, last. */
export type ListedComponent = ScannedComponent | 'canon';

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

const slotRange = z.object({ from: z.number().int(), to: z.number().int() });

const checkpointSchema = z.object({
  cappella: listingCheckpoint,
  hippo: listingCheckpoint,
  /** A digest scan's slot ranges still to compare (the rest agreed or were judged). */
  digest: z.object({ pending: z.array(slotRange) }).optional(),
  /** A full scan's place in Canon's artifact listing, once it reads it. */
  canon: listingCheckpoint.optional(),
  /** A full scan by listing: the last run judged for its differing output tallies. */
  outputs: z.object({ after: z.string().nullable() }).optional(),
});
export type ScanCheckpoint = z.infer<typeof checkpointSchema>;

const perComponent = z.object({
  cappella: z.number().int(),
  hippo: z.number().int(),
  canon: z.number().int(),
});
export type PerComponent = z.infer<typeof perComponent>;

const countsSchema = z.partialRecord(z.enum(MISMATCH_TYPES), z.number().int());
const errorsSchema = z.array(z.object({ at: z.string(), message: z.string() }));

const ScanKindSchema = z.object({
  trigger: z.enum(SCAN_TRIGGERS),
  mode: z.enum(SCAN_MODES),
  method: z.enum(SCAN_METHODS).nullable(),
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
  /** How the scan reads: the one asked for until it starts (null: the scanner's choice). */
  method: ScanMethod | null;
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
  /** Pages read per listing (a digest scan: range listings). */
  pages: PerComponent;
  /** Runs (Cappella), entities (Hippo) and artifacts (Canon) read; a digest scan: the pairs its listings held. */
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

/** The scans that are requested, running or paused: at most one, which a unique index holds. */
const ACTIVE = In<ScanStatus>(['requested', 'running', 'paused']);

/** The scans a holder is carrying out: only these take its progress and its ending. */
const CARRIED_OUT = In<ScanStatus>(['running', 'paused']);

/** A `scans` row as `RETURNING *` gives it, by column name. */
type ReturnedRow = Record<string, unknown>;

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
    method?: ScanMethod | null;
    requestedBy?: string | null;
  }): Promise<Scan> {
    try {
      const result = await this.em
        .createQueryBuilder()
        .insert()
        .into(ScanEntity)
        .values({
          id: randomUUID(),
          trigger: spec.trigger,
          mode: spec.mode,
          method: spec.method ?? null,
          requestedBy: spec.requestedBy ?? null,
        })
        .returning('*')
        .execute();
      const [row] = result.raw as ReturnedRow[];
      return scanFromEntity(this.returned(row));
    } catch (error) {
      const active = await this.active();
      if (active) throw new ScanInProgressError(active.id);
      throw error;
    }
  }

  /** The requested, running or paused scan, if any. */
  async active(): Promise<Scan | null> {
    return this.one(this.scans().where({ status: ACTIVE }));
  }

  findById(id: string): Promise<Scan | null> {
    return this.one(this.scans().where({ id }));
  }

  /** The most recently requested scan. */
  latest(): Promise<Scan | null> {
    return this.one(this.newestFirst().limit(1));
  }

  /**
   * The most recently finished completed scan, of the given mode (and method) when given.
   */
  latestCompleted(mode?: ScanMode, method?: ScanMethod): Promise<Scan | null> {
    return this.one(
      this.scans()
        .where({
          status: 'completed',
          ...(mode === undefined ? {} : { mode }),
          ...(method === undefined ? {} : { method }),
        })
        .orderBy('s.finishedAt', 'DESC')
        .addOrderBy('s.id', 'ASC')
        .limit(1),
    );
  }

  /** Scans, newest first. */
  async list(limit = 50): Promise<Scan[]> {
    const scans = await this.newestFirst().limit(limit).getMany();
    return scans.map(scanFromEntity);
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
      method: ScanMethod;
      graceCutoff: Date;
      checkpoint: ScanCheckpoint;
      estimatedItems: number | null;
    },
  ): Promise<Scan | null> {
    // Each expression reads the row as it was: a scan not started yet is one with no startedAt.
    const result = await this.em
      .createQueryBuilder()
      .update(ScanEntity)
      .set({
        holder,
        status: 'running',
        updatedAt: () => 'now()',
        startedAt: () => 'COALESCE(startedAt, now())',
        mode: () => 'CASE WHEN startedAt IS NULL THEN :mode ELSE mode END',
        method: () => 'CASE WHEN startedAt IS NULL THEN :method ELSE method END',
        phase: () =>
          `CASE WHEN startedAt IS NULL THEN (CASE WHEN :method = 'digest' THEN 'digest' ELSE 'cappella' END) ELSE phase END`,
        graceCutoff: () => 'COALESCE(graceCutoff, :graceCutoff)',
        checkpoint: () =>
          'CASE WHEN startedAt IS NULL THEN CAST(:checkpoint AS jsonb) ELSE checkpoint END',
        estimatedItems: () =>
          'CASE WHEN startedAt IS NULL THEN :estimatedItems ELSE estimatedItems END',
      })
      .where({ status: ACTIVE })
      .setParameters({
        mode: start.mode,
        method: start.method,
        graceCutoff: start.graceCutoff,
        checkpoint: JSON.stringify(start.checkpoint),
        estimatedItems: start.estimatedItems,
      })
      .returning('*')
      .execute();
    const [row] = result.raw as ReturnedRow[];
    return row === undefined ? null : scanFromEntity(this.returned(row));
  }

  /**
   * Adds a page's progress to the scan `holder` carries out; false when the scan is no longer
   * its own (taken over, or ended), in which case the caller's transaction must roll back.
   */
  async saveProgress(id: string, holder: string, progress: ScanProgress): Promise<boolean> {
    // Raw SQL: the page's counts are added to the jsonb counters key by key, in the UPDATE itself.
    const [, affected] = await this.em.query<[unknown, number]>(
      `UPDATE scans SET phase = $3, checkpoint = $4::jsonb, updated_at = now(),
              counts = (SELECT COALESCE(jsonb_object_agg(k, v), '{}'::jsonb) FROM (
                SELECT k, sum(v::int) AS v FROM (
                  SELECT key AS k, value AS v FROM jsonb_each_text(counts)
                  UNION ALL SELECT key, value FROM jsonb_each_text($5::jsonb)) AS both_counts
                GROUP BY k) AS summed),
              pages = ${addedPerComponent('pages', 6)},
              items = ${addedPerComponent('items', 9)},
              requests = ${addedPerComponent('requests', 12)}
        WHERE id = $1 AND holder = $2 AND status IN ('running', 'paused')`,
      [
        id,
        holder,
        progress.phase,
        JSON.stringify(progress.checkpoint),
        JSON.stringify(progress.counts),
        ...perComponentValues(progress.pages),
        ...perComponentValues(progress.items),
        ...perComponentValues(progress.requests),
      ],
    );
    return affected > 0;
  }

  /** Marks the scan paused (waiting out an outage) or running again, recording why. */
  setPaused(id: string, holder: string, reason: string | null): Promise<boolean> {
    return this.moveCarriedOut(
      id,
      holder,
      reason === null
        ? { status: 'running' }
        : { status: 'paused', lastError: reason, errors: () => appendedError(':reason') },
      { reason },
    );
  }

  /** Ends the scan as completed; false when it is not this holder's to end. */
  complete(id: string, holder: string): Promise<boolean> {
    return this.moveCarriedOut(id, holder, {
      status: 'completed',
      phase: 'done',
      finishedAt: () => 'now()',
    });
  }

  /** Ends the scan as failed, keeping its checkpoint so that it can be resumed. */
  fail(id: string, holder: string, reason: string): Promise<boolean> {
    return this.moveCarriedOut(
      id,
      holder,
      {
        status: 'failed',
        finishedAt: () => 'now()',
        lastError: reason,
        errors: () => appendedError(':reason'),
      },
      { reason },
    );
  }

  /**
   * Applies `change` to the scan while `holder` carries it out (running or paused); false
   * when it does not, so a scanner that lost the scan changes nothing.
   */
  private async moveCarriedOut(
    id: string,
    holder: string,
    change: QueryDeepPartialEntity<ScanEntity>,
    parameters: Record<string, unknown> = {},
  ): Promise<boolean> {
    const result = await this.em
      .createQueryBuilder()
      .update(ScanEntity)
      .set({ ...change, updatedAt: () => 'now()' })
      .where({ id, holder, status: CARRIED_OUT })
      .setParameters(parameters)
      .execute();
    return Boolean(result.affected);
  }

  /**
   * Asks for a failed scan to be carried on from its checkpoint; throws a
   * `ScanInProgressError` if another scan is active. False when the scan is not failed.
   */
  async resume(id: string): Promise<boolean> {
    try {
      const result = await this.em
        .createQueryBuilder()
        .update(ScanEntity)
        .set({ status: 'requested', finishedAt: null, updatedAt: () => 'now()' })
        .where({ id, status: 'failed' })
        .execute();
      return Boolean(result.affected);
    } catch (error) {
      const active = await this.active();
      if (active) throw new ScanInProgressError(active.id);
      throw error;
    }
  }

  /** Links recorded findings to the scan that found them. */
  async linkFindings(scanId: string, syncEventIds: string[]): Promise<void> {
    if (syncEventIds.length === 0) return;
    await this.em
      .createQueryBuilder()
      .insert()
      .into(ScanFindingEntity)
      .values(syncEventIds.map((syncEventId) => ({ scanId, syncEventId })))
      .orIgnore()
      .execute();
  }

  /** Ids of the findings a scan recorded. */
  async findingIds(scanId: string): Promise<string[]> {
    const links = await this.em
      .createQueryBuilder(ScanFindingEntity, 'f')
      .where({ scanId })
      .orderBy('f.syncEventId', 'ASC')
      .getMany();
    return links.map((link) => link.syncEventId);
  }

  private scans(): SelectQueryBuilder<ScanEntity> {
    return this.em.createQueryBuilder(ScanEntity, 's');
  }

  private newestFirst(): SelectQueryBuilder<ScanEntity> {
    return this.scans().orderBy('s.requestedAt', 'DESC').addOrderBy('s.id', 'ASC');
  }

  private async one(scans: SelectQueryBuilder<ScanEntity>): Promise<Scan | null> {
    const scan = await scans.getOne();
    return scan === null ? null : scanFromEntity(scan);
  }

  /**
   * A row `RETURNING *` gave back, as the entity a select would have read: TypeORM hydrates
   * entities from its selects only.
   */
  private returned(row: ReturnedRow): ScanEntity {
    const { driver } = this.em.connection;
    const scan = new ScanEntity();
    for (const column of this.em.connection.getMetadata(ScanEntity).columns) {
      column.setEntityValue(scan, driver.prepareHydratedValue(row[column.databaseName], column));
    }
    return scan;
  }
}

/** `errors` with one more entry (the message in the named parameter `param`), the oldest dropped. */
function appendedError(param: string): string {
  return `(SELECT COALESCE(jsonb_agg(e ORDER BY n), '[]'::jsonb) FROM (
            SELECT e, n FROM jsonb_array_elements(errors || jsonb_build_array(
              jsonb_build_object('at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'message', CAST(${param} AS text))))
              WITH ORDINALITY AS a(e, n)
            ORDER BY n DESC LIMIT ${KEPT_ERRORS}) AS kept)`;
}

function scanFromEntity(scan: ScanEntity): Scan {
  const kind = ScanKindSchema.safeParse({
    trigger: scan.trigger,
    mode: scan.mode,
    method: scan.method,
    status: scan.status,
    phase: scan.phase,
    checkpoint: scan.startedAt === null ? null : scan.checkpoint,
    counts: scan.counts,
    pages: withZeros(scan.pages),
    items: withZeros(scan.items),
    requests: withZeros(scan.requests),
    errors: scan.errors,
  });
  if (!kind.success) {
    throw new InvalidRecordError(
      `scan ${scan.id} does not fit its kind: ${z.prettifyError(kind.error)}`,
    );
  }
  return {
    ...kind.data,
    id: scan.id,
    requestedBy: scan.requestedBy,
    holder: scan.holder,
    requestedAt: scan.requestedAt,
    startedAt: scan.startedAt,
    finishedAt: scan.finishedAt,
    updatedAt: scan.updatedAt,
    graceCutoff: scan.graceCutoff,
    estimatedItems: scan.estimatedItems,
    lastError: scan.lastError,
  };
}

/** Per-component counters start as `{}`: read absent ones as 0. */
/** The listings counted per component, in the order of their SQL parameters. */
const COUNTED = ['cappella', 'hippo', 'canon'] as const;

/** SQL for a jsonb counter `column` with parameters `$first`… (one per listing) added. */
function addedPerComponent(column: string, first: number): string {
  const sums = COUNTED.map(
    (key, i) => `'${key}', COALESCE((${column}->>'${key}')::int, 0) + $${first + i}`,
  );
  return `jsonb_build_object(${sums.join(', ')})`;
}

function perComponentValues(counts: PerComponent): number[] {
  return COUNTED.map((key) => counts[key]);
}

function withZeros(value: unknown): unknown {
  const record = (typeof value === 'object' && value !== null ? value : {}) as Record<
    string,
    unknown
  >;
  return Object.fromEntries(COUNTED.map((key) => [key, record[key] ?? 0]));
}
