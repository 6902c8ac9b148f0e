/**
 * The fields every part of the query API validates the same way: ids, instants and short texts
 * (zod, read by `ZodPipe`), so that a bad id or date gets the same clear 400 everywhere.
 */
import { z } from 'zod';

/** A path id: a UUID, else a 400 naming the parameter. */
export const IdSchema = z.uuid({ error: 'a UUID' });

/** An ISO 8601 date-time with its offset, as a `Date`. */
export const InstantSchema = z.iso
  .datetime({ offset: true, error: 'an ISO 8601 date-time, e.g. 2026-12-01T08:00:00Z' })
  .transform((value) => new Date(value));

/** A non-empty text of at most `max` characters, trimmed. */
export const textOf = (max: number) => z.string().trim().min(1).max(max);
