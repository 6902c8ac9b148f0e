/**
 * What operators do to findings through the API: snooze and wake, resolve one with a note, or
 * resolve many at once. Each acts only on an open finding and says precisely why it did not
 * (`notOpen`: unknown id, a record, or closed already and by whom).
 */
import { DataSource, type EntityManager } from 'typeorm';
import { NotFoundError, StateConflictError } from '@bridge/errors';
import { SyncEventEntity } from './entities/sync-event.entity';
import type { SyncEvent } from './sync-event-kinds';
import {
  CLOSE_AS_RESOLVED_VALUES,
  FINDINGS_WHERE,
  syncEventFromRow,
  type SyncEventRow,
} from './sync-event-rows';

export class FindingOperatorActions {
  private readonly em: EntityManager;

  /**
   * @param db the data source, or a transaction's manager (see `StoreTransactions`), so that
   *   an action and its audit entry commit together.
   */
  constructor(db: DataSource | EntityManager) {
    this.em = db instanceof DataSource ? db.manager : db;
  }

  /**
   * Snoozes an open finding until `until` (an operator's), or wakes it (`until` null). Throws
   * `NotFoundError` for an unknown id and `StateConflictError` for a record or a closed finding.
   */
  async snooze(
    id: string,
    snooze: { until: Date; by: string; reason: string | null } | null,
  ): Promise<SyncEvent> {
    const result = await this.em
      .createQueryBuilder()
      .update(SyncEventEntity)
      .set({
        snoozedUntil: snooze?.until ?? null,
        snoozedBy: snooze?.by ?? null,
        snoozeReason: snooze?.reason ?? null,
      })
      .where({ ...FINDINGS_WHERE, id, state: 'open' })
      .returning('*')
      .execute();
    // TypeORM hydrates entities from its selects only: `RETURNING *` gives raw rows.
    const rows = result.raw as SyncEventRow[];
    if (rows.length > 0) return syncEventFromRow(rows[0]);
    throw await this.notOpen(id, snooze ? 'snooze' : 'wake');
  }

  /** The error for an action on a row that is not an open finding. */
  async notOpen(id: string, action: string): Promise<Error> {
    const row = await this.em
      .createQueryBuilder(SyncEventEntity, 'e')
      .select('*')
      .where({ id })
      .getRawOne<SyncEventRow>();
    const existing = row === undefined ? null : syncEventFromRow(row);
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
    const result = await this.em
      .createQueryBuilder()
      .update(SyncEventEntity)
      .set({ ...CLOSE_AS_RESOLVED_VALUES, resolvedBy: by, resolutionNote: note })
      .where({ ...FINDINGS_WHERE, id, state: 'open' })
      .returning('*')
      .execute();
    const rows = result.raw as SyncEventRow[];
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
    const result = await this.em
      .createQueryBuilder()
      .update(SyncEventEntity)
      .set({ ...CLOSE_AS_RESOLVED_VALUES, resolvedBy: by, resolutionNote: note })
      .where({ ...FINDINGS_WHERE, state: 'open' })
      // One array parameter, however many ids a bulk action holds.
      .andWhere('id = ANY(CAST(:ids AS uuid[]))', { ids })
      .returning('*')
      .execute();
    return (result.raw as SyncEventRow[]).map(syncEventFromRow);
  }
}
