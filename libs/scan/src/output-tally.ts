/**
 * Output tallies: how a full scan by listing checks every completed run's outputs without
 * looking each one up in Hippo (docs/design.md, "Scans").
 *
 * Reading Cappella, the scan records per judgeable completed run what Hippo should hold: the
 * count of its distinct outputs and the sum of their key hashes. Reading Hippo, it adds each
 * available entity to the tally of the run its provenance names. A run whose two tallies agree
 * has every output available in Hippo (up to a 52-bit hash collision); one whose tallies differ
 * is judged at the end from the run and its outputs as they are then, so a tally that differs
 * for a harmless reason (an entity still lagging when Hippo was read, one listed twice because
 * it changed during the scan, an entity of the run that Cappella does not list) costs a look,
 * never a false finding.
 *
 * The hash is two 32-bit FNV-1a variants over the key, folded into 52 bits; sums are kept
 * modulo 2^52, which a JavaScript number and a PostgreSQL bigint both hold exactly.
 */
import type { EntityKey } from '@bridge/contracts';

/** Sums are kept modulo this: below 2^53, so two of them add exactly in a double. */
export const TALLY_MODULUS = 2 ** 52;

/** What a run's outputs add up to: how many, and the sum of their hashes modulo 2^52. */
export interface Tally {
  count: number;
  sum: number;
}

const FNV_PRIME = 0x01000193;
const FNV_BASIS_HIGH = 0x811c9dc5;
const FNV_BASIS_LOW = 0x050c5d1f;

/**
 * A key's 52-bit hash: two 32-bit FNV-1a variants over the type, a NUL (a character neither may
 * hold, so type and id never run together) and the id, the high one cut to 20 bits. Both are
 * computed in one pass without building the joined string: a full scan hashes every output and
 * every entity, two million keys at a million outputs.
 */
export function keyTallyHash(key: EntityKey): number {
  let high = FNV_BASIS_HIGH;
  let low = FNV_BASIS_LOW;
  const type = key.entity_type;
  for (let i = 0; i < type.length; i += 1) {
    const code = type.charCodeAt(i);
    high = Math.imul(high ^ code, FNV_PRIME);
    low = Math.imul(low ^ code, FNV_PRIME);
  }
  // The separator: XOR with 0 leaves the hash as it is, the multiplication does not.
  high = Math.imul(high, FNV_PRIME);
  low = Math.imul(low, FNV_PRIME);
  const id = key.external_id;
  for (let i = 0; i < id.length; i += 1) {
    const code = id.charCodeAt(i);
    high = Math.imul(high ^ code, FNV_PRIME);
    low = Math.imul(low ^ code, FNV_PRIME);
  }
  return ((high >>> 0) & 0xfffff) * 2 ** 32 + (low >>> 0);
}

/** Adds one hash to a tally (in place) and returns it. */
export function addToTally(tally: Tally, hash: number): Tally {
  tally.count += 1;
  tally.sum = (tally.sum + hash) % TALLY_MODULUS;
  return tally;
}

/** The tally of a run's outputs, each distinct key once (a run may list an output twice). */
export function outputTally(outputs: readonly EntityKey[]): Tally {
  const hashes = new Set(outputs.map(keyTallyHash));
  const tally: Tally = { count: 0, sum: 0 };
  for (const hash of hashes) addToTally(tally, hash);
  return tally;
}

/** A page of Hippo entities' contribution: per provenance run, its available entities' tally. */
export function entityTallies(
  entities: ReadonlyArray<
    EntityKey & { available: boolean; provenance: { run_id: string } | null }
  >,
): Map<string, Tally> {
  const byRun = new Map<string, Tally>();
  for (const entity of entities) {
    if (!entity.available || !entity.provenance) continue;
    const runId = entity.provenance.run_id;
    let tally = byRun.get(runId);
    if (!tally) {
      tally = { count: 0, sum: 0 };
      byRun.set(runId, tally);
    }
    addToTally(tally, keyTallyHash(entity));
  }
  return byRun;
}
