/**
 * The wire shapes of the range-digest capability (docs/design.md, "Range digests"), shared by
 * the Cappella and Hippo clients: a digest answer and the query of a slot range. A component
 * offers the capability when its manifest says `capabilities.rangeDigests`.
 */
import { z } from 'zod';
import type { DigestBucket, SlotRange } from '@bridge/contracts';

export const DigestAnswerSchema: z.ZodType<{ buckets: DigestBucket[] }> = z.object({
  buckets: z.array(
    z.object({
      from: z.number().int(),
      to: z.number().int(),
      count: z.number().int().nonnegative(),
      hash: z.string().regex(/^[0-9a-f]{16}$/),
    }),
  ),
});

/** `from=…&to=…`, and `buckets=…` for a digest. */
export function slotRangeQuery(range: SlotRange, buckets?: number): string {
  const query = new URLSearchParams({ from: String(range.from), to: String(range.to) });
  if (buckets !== undefined) query.set('buckets', String(buckets));
  return query.toString();
}
