/**
 * Range digests: an optional component capability that lets a full scan skip what agrees.
 *
 * Both sides of a comparison hold a set of (entity key, producing run) pairs: Cappella the
 * outputs its runs registered (all of a completed run's, the partial ones of a failed run),
 * Hippo its entities with their provenance (`hippoDigestRun` marks the unavailable ones). Each pair
 * has a place in one shared key space, a 16-bit `slot` taken from a hash of the entity key, so
 * both sides put an entity in the same slot without agreeing on anything else, and the pairs
 * spread evenly over the slots whatever the keys look like. For a range of slots a component
 * answers, per bucket, how many pairs it holds and the sum of their pair hashes modulo 2^64:
 * order does not matter, adding or removing one pair changes it, and a component can keep it
 * up to date pair by pair instead of reading everything when asked.
 *
 * Equal count and sum over a range means, with overwhelming likelihood, equal sets there: the
 * scanner reads nothing more of it. A range that differs is split into buckets again, down to
 * ranges small enough to list, and only those are listed and judged by the usual rules.
 *
 * Everything here is part of the component contract (docs/design.md, "Range digests"), so it is
 * defined once for the components Bridge simulates and for the scanner that asks them.
 */
import { hash } from 'node:crypto';
import type { EntityKey } from './generated/events';

/** Slots in the key space: a pair's slot is the first 16 bits of its key's hash. */
export const DIGEST_SLOTS = 65_536;

/** Most buckets one digest request may ask for (bounds the answer, whatever the range). */
export const MAX_DIGEST_BUCKETS = 256;

/** A half-open range of slots, `from` ≤ slot < `to`. */
export interface SlotRange {
  from: number;
  to: number;
}

/** One bucket of a digest answer, as the component API sends it. */
export interface DigestBucket extends SlotRange {
  count: number;
  /** The sum of the bucket's pair hashes modulo 2^64, as 16 lower-case hex digits. */
  hash: string;
}

const ZERO_HASH = '0000000000000000';
const MASK_64 = (1n << 64n) - 1n;

/** The slot an entity key falls in: the first two bytes of SHA-256 of `type \0 external_id`. */
export function digestSlot(key: EntityKey): number {
  // The one-shot hash: a component files every pair it holds, so this runs per write.
  return hash('sha256', `${key.entity_type}\u0000${key.external_id}`, 'buffer').readUInt16BE(0);
}

/** A pair's hash: the first eight bytes of SHA-256 of `type \0 external_id \0 run_id`. */
export function pairHash(key: EntityKey, runId: string): bigint {
  const text = `${key.entity_type}\u0000${key.external_id}\u0000${runId}`;
  return hash('sha256', text, 'buffer').readBigUInt64BE(0);
}

/**
 * The run a Hippo entity is digested under: its provenance, marked when the entity is not
 * available, so that an output Hippo holds but does not offer differs from Cappella's pair
 * (and is listed, and found missing) while staying in the count.
 */
export function hippoDigestRun(runId: string, available: boolean): string {
  return available ? runId : `${runId}\u0000unavailable`;
}

/** `a + b` modulo 2^64: the combination of pair hashes, in any order. */
export function addHashes(a: bigint, b: bigint): bigint {
  return (a + b) & MASK_64;
}

/** `a - b` modulo 2^64: what a sum is once a pair leaves it. */
export function subtractHashes(a: bigint, b: bigint): bigint {
  return (a - b) & MASK_64;
}

export function hashToHex(hash: bigint): string {
  return hash === 0n ? ZERO_HASH : hash.toString(16).padStart(16, '0');
}

/**
 * `range` cut into at most `buckets` contiguous ranges of near-equal width, none empty. Both
 * sides cut the same way, so their buckets line up.
 */
export function bucketRanges(range: SlotRange, buckets: number): SlotRange[] {
  const width = range.to - range.from;
  const parts = Math.max(1, Math.min(buckets, width));
  const cut: SlotRange[] = [];
  for (let i = 0; i < parts; i += 1) {
    const from = range.from + Math.floor((width * i) / parts);
    const to = range.from + Math.floor((width * (i + 1)) / parts);
    cut.push({ from, to });
  }
  return cut;
}

/** Whether a requested range and bucket count are ones a component should answer. */
export function slotRangeProblem(range: SlotRange, buckets: number): string | null {
  const { from, to } = range;
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to > DIGEST_SLOTS) {
    return `from and to must be whole slots within 0..${DIGEST_SLOTS}`;
  }
  if (from >= to) return 'from must be below to';
  if (!Number.isInteger(buckets) || buckets < 1 || buckets > MAX_DIGEST_BUCKETS) {
    return `buckets must be 1 to ${MAX_DIGEST_BUCKETS}`;
  }
  return null;
}
