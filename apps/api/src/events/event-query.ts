/**
 * The query of `GET /events` (filters, `limit`, `cursor`) as a zod schema, and the opaque
 * cursors of its pages. Pure: the controller validates with it, the store pages with the
 * result. An unknown parameter is refused (a misspelt filter silently ignored would return the
 * wrong rows), and a cursor this API did not issue is a 400, not an empty page.
 */
import { z } from 'zod';
import { MISMATCH_TYPES } from '@bridge/contracts';
import { SyncEventTypes, type SyncEventPosition, type SyncEventQuery } from '@bridge/store';
import { InstantSchema as instant, textOf as text } from '../request-fields';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/** A page's position as the cursor a client passes back. */
export function encodeCursor(position: SyncEventPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id]), 'utf8').toString(
    'base64url',
  );
}

/** The position a cursor names, or null when it is not one `encodeCursor` made. */
export function decodeCursor(cursor: string): SyncEventPosition | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const parsed = z
      .tuple([
        z.string().regex(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?[+-]\d\d(:\d\d)?$/),
        z.uuid(),
      ])
      .safeParse(value);
    return parsed.success ? { createdAt: parsed.data[0], id: parsed.data[1] } : null;
  } catch {
    return null;
  }
}

export const EventQuerySchema = z
  .object({
    status: z.enum(['unresolved', 'resolved', 'all']).default('all'),
    event_type: z.enum(Object.values(SyncEventTypes)).optional(),
    mismatch_type: z.enum(MISMATCH_TYPES).optional(),
    source: text(100).optional(),
    source_id: text(500).optional(),
    since: instant.optional(),
    until: instant.optional(),
    limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
    cursor: z
      .string()
      .max(1_000)
      .transform((cursor, context) => {
        const position = decodeCursor(cursor);
        if (!position) {
          context.addIssue({ code: 'custom', message: 'not a cursor this API issued' });
          return z.NEVER;
        }
        return position;
      })
      .optional(),
  })
  .strict();

export type EventQueryParams = z.output<typeof EventQuerySchema>;

/** The store's query for validated parameters. */
export function storeQueryOf(params: EventQueryParams): SyncEventQuery {
  return {
    status: params.status,
    eventType: params.event_type,
    mismatchType: params.mismatch_type,
    source: params.source,
    sourceId: params.source_id,
    since: params.since,
    until: params.until,
    after: params.cursor ?? null,
    limit: params.limit,
  };
}

export const ResolveBodySchema = z.object({ reason: text(2_000) }).strict();
