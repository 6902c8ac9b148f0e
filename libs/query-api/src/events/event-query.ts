/**
 * The query of `GET /events` (filters, `limit`, `cursor`) as a zod schema. Pure: the
 * controller validates with it, the store pages with the result. An unknown parameter is
 * refused: a misspelt filter silently ignored would return the wrong rows.
 */
import { z } from 'zod';
import { MISMATCH_TYPES } from '@bridge/contracts';
import { SyncEventTypes, type FindingFilter, type SyncEventQuery } from '@bridge/store';
import { CursorSchema } from '../page-cursor';
import { InstantSchema as instant, textOf as text } from '../request-fields';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** The filters a listing and a bulk action share. */
const filterFields = {
  event_type: z.enum(Object.values(SyncEventTypes)).optional(),
  mismatch_type: z.enum(MISMATCH_TYPES).optional(),
  source: text(100).optional(),
  source_id: text(500).optional(),
  /** Only the findings of one scan (what `GET /scans/{id}/findings` lists too). */
  scan_id: z.uuid().optional(),
  since: instant.optional(),
  until: instant.optional(),
};

export const EventQuerySchema = z
  .object({
    status: z.enum(['unresolved', 'snoozed', 'resolved', 'all']).default('all'),
    /** With `status=unresolved`: snoozed findings too. */
    include_snoozed: z.enum(['true', 'false']).default('false'),
    ...filterFields,
    limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
    cursor: CursorSchema.optional(),
  })
  .strict();

/** The filter of a bulk action on open findings. */
export const FindingFilterSchema = z.object(filterFields).strict();

/** The store's filter for a validated bulk filter. */
export function storeFilterOf(filter: z.output<typeof FindingFilterSchema>): FindingFilter {
  return {
    eventType: filter.event_type,
    mismatchType: filter.mismatch_type,
    source: filter.source,
    sourceId: filter.source_id,
    scanId: filter.scan_id,
    since: filter.since,
    until: filter.until,
  };
}

export type EventQueryParams = z.output<typeof EventQuerySchema>;

/** The store's query for validated parameters. */
export function storeQueryOf(params: EventQueryParams): SyncEventQuery {
  return {
    status: params.status,
    includeSnoozed: params.include_snoozed === 'true',
    ...storeFilterOf(params),
    after: params.cursor ? { createdAt: params.cursor.at, id: params.cursor.id } : null,
    limit: params.limit,
  };
}

/** A resolution's body: a reason is optional (the bare POST works) and recorded when given. */
export const ResolveBodySchema = z
  .object({ reason: text(2_000).optional() })
  .strict()
  .optional()
  .transform((body) => ({ reason: body?.reason ?? null }));
