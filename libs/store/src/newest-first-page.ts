/**
 * Keyset paging newest first, as the API's listings of dead letters and audit entries page:
 * rows ordered by a time column and then id, both descending, `limit` at a time. A page ends
 * with the position of its last row, the time as PostgreSQL prints it: a JS Date would drop
 * the microseconds, and rows at a page boundary would be skipped or repeated.
 */
import type { SelectQueryBuilder } from 'typeorm';

/** Where a row stands in the newest-first order. */
export interface PagePosition {
  at: string;
  id: string;
}

/**
 * Reads one page of `query` (already filtered) newest first after `after`. `columns` are the
 * query's property paths of the time and the id, e.g. `a.at` and `a.id`.
 */
export async function newestFirstPage<E extends { id: string }>(
  query: SelectQueryBuilder<E>,
  columns: { time: string; id: string },
  after: PagePosition | null,
  limit: number,
): Promise<{ items: E[]; next: PagePosition | null }> {
  query.addSelect(`CAST(${columns.time} AS text)`, 'position_at');
  if (after) {
    query.andWhere(`(${columns.time}, ${columns.id}) < (:afterAt, :afterId)`, {
      afterAt: after.at,
      afterId: after.id,
    });
  }
  const { entities, raw } = await query
    .orderBy(columns.time, 'DESC')
    .addOrderBy(columns.id, 'DESC')
    .limit(limit + 1)
    .getRawAndEntities<{ position_at: string }>();
  const items = entities.slice(0, limit);
  const last = items.length - 1;
  return {
    items,
    next:
      entities.length > limit && last >= 0
        ? { at: raw[last].position_at, id: items[last].id }
        : null,
  };
}
