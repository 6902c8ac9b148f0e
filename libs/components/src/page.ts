/**
 * One page of a component listing (`{items, next_cursor}`, oldest change first), as read by the
 * scanner's incremental full scans through the Cappella and Hippo clients.
 */
import { z } from 'zod';

export interface Page<T> {
  items: T[];
  /** Opaque; null means nothing more for now, and the last non-null cursor resumes a scan. */
  next_cursor: string | null;
}

export function pageSchema<T>(item: z.ZodType<T>): z.ZodType<Page<T>> {
  return z.object({ items: z.array(item), next_cursor: z.string().nullable() });
}

/** The query string of a listing call; an absent or empty cursor reads from the beginning. */
export function pageQuery(after: string | null | undefined, limit: number): string {
  const query = new URLSearchParams();
  if (after) query.set('after', after);
  query.set('limit', String(limit));
  return query.toString();
}
