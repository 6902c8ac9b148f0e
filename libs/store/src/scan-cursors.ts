/**
 * The scanner's incremental cursors, one per listing, saved when a scan completes.
 */
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
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
    const rows = await this.em.query<Array<{ component: string; cursor: string | null }>>(
      `SELECT component, cursor FROM scan_cursors`,
    );
    const cursors: Partial<Record<ScannedComponent, string | null>> = {};
    for (const row of rows) {
      const component = z.enum(SCANNED_COMPONENTS).safeParse(row.component);
      if (component.success) cursors[component.data] = row.cursor;
    }
    return cursors;
  }

  async save(scanId: string, cursors: Record<ScannedComponent, string | null>): Promise<void> {
    await this.em.query(
      `INSERT INTO scan_cursors (component, cursor, scan_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::uuid[])
       ON CONFLICT (component) DO UPDATE SET cursor = EXCLUDED.cursor,
         scan_id = EXCLUDED.scan_id, updated_at = now()`,
      [
        [...SCANNED_COMPONENTS],
        SCANNED_COMPONENTS.map((component) => cursors[component]),
        SCANNED_COMPONENTS.map(() => scanId),
      ],
    );
  }
}
