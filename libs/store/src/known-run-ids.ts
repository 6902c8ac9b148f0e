/**
 * The run ids Cappella listed to the scans (table `scan_known_runs`).
 */
import { DataSource, Not, type EntityManager } from 'typeorm';
import { ScanKnownRunEntity } from './entities/scan-known-run.entity';

/**
 * The run ids Cappella listed to the scans: the set the Hippo side checks provenance against,
 * in the database rather than in memory. A full scan marks every run it lists and then forgets
 * the runs it did not list (deleted from Cappella); an incremental scan adds the new ones.
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

  /** The ids among `runIds` that are known. */
  async known(runIds: readonly string[]): Promise<Set<string>> {
    if (runIds.length === 0) return new Set();
    const rows = await this.em
      .createQueryBuilder(ScanKnownRunEntity, 'k')
      .select('k.runId')
      // One array parameter, where `IN` would take one per id.
      .where('k.runId = ANY(:runIds)', { runIds })
      .getMany();
    return new Set(rows.map((row) => row.runId));
  }

  /** Forgets every run the scan did not list; returns how many. */
  async forgetUnseen(scanId: string): Promise<number> {
    const { affected } = await this.em.delete(ScanKnownRunEntity, { seenBy: Not(scanId) });
    return affected ?? 0;
  }
}
