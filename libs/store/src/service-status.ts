/**
 * The service status board: each service process's latest report (`ServiceStatusReporter`),
 * one row per process, replaced at every interval and marked when the process stops. The
 * operator console's overview reads the recent rows through the API.
 */
import { DataSource, type EntityManager } from 'typeorm';

export interface ServiceStatusReport {
  instance: string;
  service: string;
  startedAt: Date;
  reportedAt: Date;
  stoppedAt: Date | null;
  /** What the process measured over its last interval (`OperationsSnapshot`). */
  snapshot: Record<string, unknown>;
}

interface ServiceStatusRow {
  instance: string;
  service: string;
  started_at: Date;
  reported_at: Date;
  stopped_at: Date | null;
  snapshot: Record<string, unknown> | string;
}

export class ServiceStatusStore {
  private readonly em: EntityManager;

  constructor(db: DataSource | EntityManager) {
    this.em = db instanceof DataSource ? db.manager : db;
  }

  /** Writes (or replaces) the process's report. */
  async report(entry: Omit<ServiceStatusReport, 'stoppedAt'>): Promise<void> {
    await this.em.query(
      `INSERT INTO service_status (instance, service, started_at, reported_at, snapshot)
       VALUES ($1, $2, $3, $4, $5::jsonb)
       ON CONFLICT (instance) DO UPDATE SET
         reported_at = EXCLUDED.reported_at, snapshot = EXCLUDED.snapshot, stopped_at = NULL`,
      [
        entry.instance,
        entry.service,
        entry.startedAt,
        entry.reportedAt,
        JSON.stringify(entry.snapshot),
      ],
    );
  }

  /** Marks the process as stopped on purpose (a graceful shutdown, not a crash). */
  async stopped(instance: string, at: Date): Promise<void> {
    await this.em.query(`UPDATE service_status SET stopped_at = $2 WHERE instance = $1`, [
      instance,
      at,
    ]);
  }

  /** Reports made since `since`, newest first. */
  async since(since: Date): Promise<ServiceStatusReport[]> {
    const rows = await this.em.query<ServiceStatusRow[]>(
      `SELECT * FROM service_status WHERE reported_at >= $1 ORDER BY service, reported_at DESC`,
      [since],
    );
    return rows.map((row) => ({
      instance: row.instance,
      service: row.service,
      startedAt: new Date(row.started_at),
      reportedAt: new Date(row.reported_at),
      stoppedAt: row.stopped_at === null ? null : new Date(row.stopped_at),
      snapshot:
        typeof row.snapshot === 'string'
          ? (JSON.parse(row.snapshot) as Record<string, unknown>)
          : row.snapshot,
    }));
  }

  /** Forgets processes silent since before `before`; returns how many. */
  async forgetSilentSince(before: Date): Promise<number> {
    const rows = await this.em.query<Array<{ instance: string }>>(
      `DELETE FROM service_status WHERE reported_at < $1 RETURNING instance`,
      [before],
    );
    return rows.length;
  }
}
