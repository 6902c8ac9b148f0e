/**
 * The service status board: each service process's latest report (`ServiceStatusReporter`),
 * one row per process, replaced at every interval and marked when the process stops. The
 * operator console's overview reads the recent rows through the API.
 */
import {
  DataSource,
  LessThan,
  MoreThanOrEqual,
  type EntityManager,
  type QueryDeepPartialEntity,
} from 'typeorm';
import { ServiceStatusEntity } from './entities/service-status.entity';

export interface ServiceStatusReport {
  instance: string;
  service: string;
  startedAt: Date;
  reportedAt: Date;
  stoppedAt: Date | null;
  /** What the process measured over its last interval (`OperationsSnapshot`). */
  snapshot: Record<string, unknown>;
}

export class ServiceStatusStore {
  private readonly em: EntityManager;

  constructor(db: DataSource | EntityManager) {
    this.em = db instanceof DataSource ? db.manager : db;
  }

  /** Writes (or replaces) the process's report. */
  async report(entry: Omit<ServiceStatusReport, 'stoppedAt'>): Promise<void> {
    await this.em
      .createQueryBuilder()
      .insert()
      .into(ServiceStatusEntity)
      // A report also says the process runs: a replaced row loses its earlier stop.
      .values({
        ...entry,
        // TypeORM's type for a written `jsonb` value cannot take the `unknown` members of one.
        snapshot: entry.snapshot as QueryDeepPartialEntity<ServiceStatusEntity['snapshot']>,
        stoppedAt: null,
      })
      .orUpdate(['reported_at', 'snapshot', 'stopped_at'], ['instance'])
      .updateEntity(false)
      .execute();
  }

  /** Marks the process as stopped on purpose (a graceful shutdown, not a crash). */
  async stopped(instance: string, at: Date): Promise<void> {
    await this.em.update(ServiceStatusEntity, { instance }, { stoppedAt: at });
  }

  /** Reports made since `since`, newest first. */
  async since(since: Date): Promise<ServiceStatusReport[]> {
    const rows = await this.em.find(ServiceStatusEntity, {
      where: { reportedAt: MoreThanOrEqual(since) },
      order: { service: 'ASC', reportedAt: 'DESC' },
    });
    return rows.map((row) => {
      // Parsed defensively: a driver may hand `jsonb` over as text.
      const snapshot: unknown = row.snapshot;
      return {
        instance: row.instance,
        service: row.service,
        startedAt: row.startedAt,
        reportedAt: row.reportedAt,
        stoppedAt: row.stoppedAt,
        snapshot:
          typeof snapshot === 'string'
            ? (JSON.parse(snapshot) as Record<string, unknown>)
            : row.snapshot,
      };
    });
  }

  /** Forgets processes silent since before `before`; returns how many. */
  async forgetSilentSince(before: Date): Promise<number> {
    const { affected } = await this.em.delete(ServiceStatusEntity, {
      reportedAt: LessThan(before),
    });
    return affected ?? 0;
  }
}
