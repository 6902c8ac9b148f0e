/**
 * The query of `GET /audit` (filters, `limit`, `cursor`) as a zod schema, and the audit log's
 * filter it becomes. Pure: the controller validates with it, the store pages with the result.
 * An unknown parameter is refused, as everywhere in the API: a misspelt filter silently ignored
 * would list the wrong entries.
 */
import { z } from 'zod';
import type { AuditFilter, AuditPosition } from '@bridge/store';
import { CursorSchema } from '../page-cursor';
import { InstantSchema as instant, textOf as text } from '../request-fields';

export const AuditQuerySchema = z
  .object({
    actor: text(200).optional(),
    action: text(100).optional(),
    object_type: text(100).optional(),
    object_id: text(200).optional(),
    since: instant.optional(),
    until: instant.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: CursorSchema.optional(),
  })
  .strict()
  .refine((query) => !query.since || !query.until || query.since < query.until, {
    path: ['since'],
    message: 'must be before until',
  });

export type AuditQuery = z.output<typeof AuditQuerySchema>;

/** The audit log's filter and starting position for a validated query. */
export function auditPageOf(query: AuditQuery): {
  filter: AuditFilter;
  after: AuditPosition | null;
  limit: number;
} {
  return {
    filter: {
      actor: query.actor,
      action: query.action,
      objectType: query.object_type,
      objectId: query.object_id,
      since: query.since,
      until: query.until,
    },
    after: query.cursor ?? null,
    limit: query.limit,
  };
}
