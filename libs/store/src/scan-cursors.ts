/**
 * The scanner's incremental cursors, one per listing, saved when a scan completes.
 */
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { ScanCursorEntity } from './entities/scan-cursor.entity';
import { SCANNED_COMPONENTS, type ScannedComponent } from './scan-store';

/**
 * Where each listing's last completed scan stopped, so that the next incremental scan reads
 * only what changed after it.
 */
export class ScanCursorStore {
  private readonly em: EntityManager;

  constructor(db: DataSource | EntityManager) {
    this.em = db instanceof DataSource ? db.manager : db;
  }

  /** The saved cursor per listing; a listing never scanned to its end is absent. */
  async load(): Promise<Partial<Record<ScannedComponent, string | null>>> {
    const rows = await this.em.find(ScanCursorEntity, {
      select: { component: true, cursor: true },
    });
    const cursors: Partial<Record<ScannedComponent, string | null>> = {};
    for (const row of rows) {
      const component = z.enum(SCANNED_COMPONENTS).safeParse(row.component);
      if (component.success) cursors[component.data] = row.cursor;
    }
    return cursors;
  }

  async save(scanId: string, cursors: Record<ScannedComponent, string | null>): Promise<void> {
    await this.em
      .createQueryBuilder()
      .insert()
      .into(ScanCursorEntity)
      .values(
        SCANNED_COMPONENTS.map((component) => ({ component, cursor: cursors[component], scanId })),
      )
      // `updated_at` is left to its default, so that EXCLUDED carries the time of this save.
      .orUpdate(['cursor', 'scan_id', 'updated_at'], ['component'])
      .updateEntity(false)
      .execute();
  }
}
