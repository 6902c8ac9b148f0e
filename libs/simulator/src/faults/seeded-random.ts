/**
 * The simulator's one source of randomness: a tiny seeded PRNG (mulberry32).
 *
 * Every random choice the simulator makes (which request fails, which generated run loses an
 * output) comes from a generator seeded from `SIM_SEED`, so a test or benchmark that fixes the
 * seed gets the same faults on every run and its ground truth is reproducible.
 */

/** A function returning uniformly distributed numbers in [0, 1). */
export type Random = () => number;

/** mulberry32: 32-bit state, good enough statistical quality for fault injection, and fast. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Derives an independent seed for one stream (e.g. one component) from the base seed. */
export function deriveSeed(seed: number, stream: string): number {
  let hash = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < stream.length; i += 1) {
    hash = Math.imul(hash ^ stream.charCodeAt(i), 0x01000193);
  }
  return hash >>> 0;
}
