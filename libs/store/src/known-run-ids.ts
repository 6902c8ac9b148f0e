/**
 * The run ids Cappella listed to the scans (table `scan_known_runs`), and the output tallies a
 * full scan by listing keeps beside them.
 */
import { DataSource, Not, type EntityManager } from 'typeorm';
import { ScanKnownRunEntity } from './entities/scan-known-run.entity';

/** A run's output tally as a page contributes it: a count and a hash sum modulo 2^52. */
export interface RunTally {
  runId: string;
  count: number;
  sum: number;
}

/** 2^52: tally sums are kept modulo this (the scan computes them the same way). */
const TALLY_MODULUS_SQL = '4503599627370496';

/**
 * The run ids Cappella listed to the scans: the set the Hippo side checks provenance against,
 * in the database rather than in memory. A full scan marks every run it lists and then forgets
 * the runs it did not list (deleted from Cappella); an incremental scan adds the new ones. A
 * full scan by listing also tallies outputs here (`expectOutputs`, `tallyEntities`,
 * `differingTallies`), so that it judges only the runs whose tallies differ.
 */
export class KnownRunIds {
  private readonly em: EntityManager;

  constructor(db: DataSource | EntityManager) {
    this.em = db instanceof DataSource ? db.manager : db;
  }

  async add(scanId: string, runIds: readonly string[]): Promise<void> {
    if (runIds.length === 0) return;
    // Raw SQL: unnest keeps one statement and two parameters however many runs a scan lists
    await this.em.query(
      `INSERT INTO scan_known_runs (run_id, seen_by)
       SELECT DISTINCT r, $1::uuid FROM unnest($2::text[]) AS ids(r)
       ON CONFLICT (run_id) DO UPDATE SET seen_by = EXCLUDED.seen_by`,
      [scanId, runIds],
    );
  }

  /**
   * Like `add`, and records for the runs in `tallies` what Hippo should hold of them, with
   * nothing seen yet: their tallies are this scan's from now on.
   */
  async expectOutputs(
    scanId: string,
    runIds: readonly string[],
    tallies: readonly RunTally[],
  ): Promise<void> {
    if (runIds.length === 0) return;
    const byRun = new Map(tallies.map((tally) => [tally.runId, tally]));
    const ids = [...new Set(runIds)];
    // Raw SQL: one statement for the page, however many runs it lists.
    await this.em.query(
      `INSERT INTO scan_known_runs
              (run_id, seen_by, tallied_by, outputs_expected, outputs_sum, outputs_seen, seen_sum)
       SELECT r, $1::uuid, CASE WHEN c IS NULL THEN NULL ELSE $1::uuid END,
              COALESCE(c, 0), COALESCE(s, 0), 0, 0
         FROM unnest($2::text[], $3::int[], $4::bigint[]) AS t(r, c, s)
       ON CONFLICT (run_id) DO UPDATE SET
              seen_by = EXCLUDED.seen_by, tallied_by = EXCLUDED.tallied_by,
              outputs_expected = EXCLUDED.outputs_expected, outputs_sum = EXCLUDED.outputs_sum,
              outputs_seen = 0, seen_sum = 0`,
      [
        scanId,
        ids,
        ids.map((id) => byRun.get(id)?.count ?? null),
        ids.map((id) => byRun.get(id)?.sum ?? null),
      ],
    );
  }

  /** Adds what a page of Hippo's listing shows to the tallies of this scan's runs. */
  async tallyEntities(scanId: string, tallies: readonly RunTally[]): Promise<void> {
    if (tallies.length === 0) return;
    await this.em.query(
      `UPDATE scan_known_runs k
          SET outputs_seen = k.outputs_seen + t.c,
              seen_sum = (k.seen_sum + t.s) % ${TALLY_MODULUS_SQL}
         FROM unnest($2::text[], $3::int[], $4::bigint[]) AS t(r, c, s)
        WHERE k.run_id = t.r AND k.tallied_by = $1::uuid`,
      [scanId, tallies.map((t) => t.runId), tallies.map((t) => t.count), tallies.map((t) => t.sum)],
    );
  }

  /** Up to `limit` runs after `after` (in id order) whose tallies for this scan differ. */
  async differingTallies(scanId: string, after: string | null, limit: number): Promise<string[]> {
    const rows = await this.em.query<Array<{ run_id: string }>>(
      `SELECT run_id FROM scan_known_runs
        WHERE tallied_by = $1::uuid
          AND (outputs_seen <> outputs_expected OR seen_sum <> outputs_sum)
          AND ($2::text IS NULL OR run_id > $2::text)
        ORDER BY run_id LIMIT $3`,
      [scanId, after, limit],
    );
    return rows.map((row) => row.run_id);
  }

  /** The ids among `runIds` that are known. */
  async known(runIds: readonly string[]): Promise<Set<string>> {
    if (runIds.length === 0) return new Set();
    // Raw SQL: a full scan asks this for each of Hippo's pages, and the query builder's entity
    // mapping cost more CPU than the statement itself.
    const rows = await this.em.query<Array<{ run_id: string }>>(
      'SELECT run_id FROM scan_known_runs WHERE run_id = ANY($1::text[])',
      [runIds],
    );
    return new Set(rows.map((row) => row.run_id));
  }

  /**
   * Refreshes the planner's statistics of the table. A first full scan fills it from empty in
   * minutes, long before autovacuum looks; without this, the planner still believes it small
   * and reads all of it for each page's tally update instead of using the primary key.
   */
  async refreshStatistics(): Promise<void> {
    // Raw SQL: a maintenance statement, allowed inside the page's transaction.
    await this.em.query('ANALYZE scan_known_runs');
  }

  /** Forgets every run the scan did not list; returns how many. */
  async forgetUnseen(scanId: string): Promise<number> {
    const { affected } = await this.em.delete(ScanKnownRunEntity, { seenBy: Not(scanId) });
    return affected ?? 0;
  }
}
