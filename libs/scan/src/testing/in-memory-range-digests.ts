/**
 * Range digests computed by brute force over components held in memory: the scan specs'
 * stand-in for a component that offers the capability, and their oracle for what an
 * incrementally kept index (the simulator's) must answer. Every answer reads the state as it
 * is at that moment, so a spec can change the data between two calls of one scan.
 */
import type { CappellaRun, HippoEntity } from '@bridge/components';
import {
  addHashes,
  bucketRanges,
  digestSlot,
  entityKeyId,
  hashToHex,
  hippoDigestRun,
  pairHash,
  type EntityKey,
  type SlotRange,
} from '@bridge/contracts';
import { ComponentRequestError } from '@bridge/errors';
import type { DigestScanComponents } from '../digest-step';

/** What a scan asked of the digest calls. */
export interface DigestCalls {
  digests: number;
  listings: number;
  runs: number;
  lookups: number;
}

export interface InMemoryRangeDigests {
  components: DigestScanComponents;
  calls: DigestCalls;
}

/**
 * Digest calls over `state()`. A listing holding more than `listingMax` pairs is refused with
 * 413, as a component refuses a range too wide to list at once.
 */
export function inMemoryRangeDigests(
  state: () => { runs: readonly CappellaRun[]; entities: readonly HippoEntity[] },
  listingMax = Number.POSITIVE_INFINITY,
  /** Called before each digest answer (to change the data mid-scan, or stop the scan). */
  beforeDigest: (calls: DigestCalls) => void = () => undefined,
): InMemoryRangeDigests {
  const calls: DigestCalls = { digests: 0, listings: 0, runs: 0, lookups: 0 };
  const inRange = (key: EntityKey, range: SlotRange) => {
    const slot = digestSlot(key);
    return range.from <= slot && slot < range.to;
  };
  const outputPairs = () =>
    state().runs.flatMap((run) => run.outputs.map((key) => ({ ...key, run_id: run.run_id })));
  const hippoPairs = () =>
    state().entities.flatMap((entity) =>
      entity.provenance
        ? [{ key: entity, run: hippoDigestRun(entity.provenance.run_id, entity.available) }]
        : [],
    );
  const digest = (
    pairsNow: () => ReadonlyArray<{ key: EntityKey; run: string }>,
    range: SlotRange,
    buckets: number,
  ) => {
    calls.digests += 1;
    beforeDigest(calls);
    const pairs = pairsNow();
    return bucketRanges(range, buckets).map((bucket) => {
      const inside = pairs.filter((pair) => inRange(pair.key, bucket));
      return {
        ...bucket,
        count: inside.length,
        hash: hashToHex(inside.reduce((sum, p) => addHashes(sum, pairHash(p.key, p.run)), 0n)),
      };
    });
  };
  const listing = <T>(component: string, items: T[]): Promise<T[]> => {
    calls.listings += 1;
    return items.length > listingMax
      ? Promise.reject(new ComponentRequestError(component, 413, 'range too wide'))
      : Promise.resolve(items);
  };
  const components: DigestScanComponents = {
    cappella: {
      outputDigest: (range, buckets) =>
        Promise.resolve(
          digest(
            () => outputPairs().map((pair) => ({ key: pair, run: pair.run_id })),
            range,
            buckets,
          ),
        ),
      outputsIn: (range) =>
        listing(
          'cappella',
          outputPairs().filter((pair) => inRange(pair, range)),
        ),
      getRun: (id) => {
        calls.runs += 1;
        return Promise.resolve(state().runs.find((run) => run.run_id === id) ?? null);
      },
    },
    hippo: {
      entityDigest: (range, buckets) => Promise.resolve(digest(hippoPairs, range, buckets)),
      entitiesIn: (range) =>
        listing(
          'hippo',
          state().entities.filter((entity) => inRange(entity, range)),
        ),
      lookup: (keys) => {
        calls.lookups += 1;
        const byKey = new Map(state().entities.map((entity) => [entityKeyId(entity), entity]));
        return Promise.resolve(
          keys.map((key) => {
            const found = byKey.get(entityKeyId(key));
            return {
              entity_type: key.entity_type,
              external_id: key.external_id,
              exists: found !== undefined,
              available: found?.available ?? false,
              provenance: found?.provenance ?? null,
            };
          }),
        );
      },
    },
  };
  return { components, calls };
}
