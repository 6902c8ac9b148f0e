/**
 * Request shapes of the component endpoints (see docs/design.md, Component APIs), as zod
 * schemas. Listing limits follow the component manifests (page size at most 10,000).
 */
import { z } from 'zod';
import { PayloadTooLargeException } from '@nestjs/common';
import { slotRangeProblem, type SlotRange } from '@bridge/contracts';
import { EntityKeySchema } from '../scenario/scenario-specs';

/** The most keys one Hippo bulk lookup may name: more are answered 413. */
export const LOOKUP_MAX_KEYS = 1_000;

/** The most pairs one range listing answers: a wider range is refused (413), to be split. */
export const RANGE_LISTING_MAX = 10_000;

/** Refuses (413) a range listing of more than `RANGE_LISTING_MAX` pairs, naming what it holds. */
export function refuseWideListing(range: SlotRange, count: number, what: string): void {
  if (count > RANGE_LISTING_MAX) {
    throw new PayloadTooLargeException(
      `slots ${range.from} to ${range.to} hold ${count} ${what}, more than ${RANGE_LISTING_MAX}: ask for a narrower range`,
    );
  }
}

/** A slot range (`from` ≤ slot < `to`) and, for a digest, how many buckets to cut it into. */
export const SlotRangeQuerySchema = z
  .object({
    from: z.coerce.number().int(),
    to: z.coerce.number().int(),
    buckets: z.coerce.number().int().default(1),
  })
  .superRefine((query, context) => {
    const problem = slotRangeProblem(query, query.buckets);
    if (problem) context.addIssue({ code: 'custom', message: problem });
  });

export const ListingQuerySchema = z.object({
  after: z.string().optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(500),
});

export const SubmitRunBodySchema = z
  .object({
    pipeline_id: z.string().min(1),
    inputs: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

export const LookupBodySchema = z.object({ entities: z.array(EntityKeySchema) }).strict();

export const EvictBodySchema = z
  .object({
    artifact_ids: z.array(z.string().min(1)).max(10_000),
    mode: z.enum(['immediate', 'next_sweep']),
  })
  .strict();

/**
 * `GET /canon/artifacts` answers two questions: the artifacts of some entities
 * (`entity=<type>:<externalId>`, repeatable; split on the first colon, since ids may contain
 * colons), or, with `after`/`limit` instead, a page of every artifact in change order (the
 * listing capability). Asking both at once is refused.
 */
export const ArtifactsQuerySchema = z
  .object({
    entity: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .transform((value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]))
      .pipe(
        z.array(
          z
            .string()
            .regex(/^[^:]+:.+$/, 'expected <entity_type>:<external_id>')
            .transform((ref) => {
              const colon = ref.indexOf(':');
              return { entity_type: ref.slice(0, colon), external_id: ref.slice(colon + 1) };
            }),
        ),
      ),
    after: z.string().optional(),
    limit: z.coerce.number().int().min(1).max(10_000).optional(),
  })
  .refine(
    (query) =>
      query.entity.length === 0 || (query.after === undefined && query.limit === undefined),
    {
      message: 'ask either for entities (entity=) or for a listing page (after=, limit=), not both',
    },
  );
