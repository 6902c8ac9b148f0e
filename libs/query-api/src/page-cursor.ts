/**
 * The opaque cursors of the API's newest-first listings (events, dead letters): the exact
 * position of a page's last row, its timestamp as PostgreSQL prints it (microseconds kept, so no
 * two rows of one millisecond are confused) and its id. A cursor the API did not issue is a 400
 * naming `cursor`, not an empty page.
 */
import { z } from 'zod';

export interface PagePosition {
  /** The row's timestamp as PostgreSQL text, e.g. `2026-12-01 09:15:02.123456+00`. */
  at: string;
  id: string;
}

const PositionSchema = z.tuple([
  z.string().regex(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?[+-]\d\d(:\d\d)?$/),
  z.uuid(),
]);

export function encodeCursor(position: PagePosition): string {
  return Buffer.from(JSON.stringify([position.at, position.id]), 'utf8').toString('base64url');
}

/** The position a cursor names, or null when it is not one `encodeCursor` made. */
export function decodeCursor(cursor: string): PagePosition | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const parsed = PositionSchema.safeParse(value);
    return parsed.success ? { at: parsed.data[0], id: parsed.data[1] } : null;
  } catch {
    return null;
  }
}

/** The `cursor` query parameter, as the position it names. */
export const CursorSchema = z
  .string()
  .max(1_000)
  .transform((cursor, context) => {
    const position = decodeCursor(cursor);
    if (!position) {
      context.addIssue({ code: 'custom', message: 'not a cursor this API issued' });
      return z.NEVER;
    }
    return position;
  });
