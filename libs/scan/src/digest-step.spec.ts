import type { CappellaRun, HippoEntity } from '@bridge/components';
import {
  DIGEST_SLOTS,
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
import { digestStep, type DigestScanComponents } from './digest-step';
import type { ScanDiscrepancy } from './scan-decisions';

const OLD = '2026-01-01T00:00:00.000Z';
const CUTOFF = new Date('2026-06-01T00:00:00Z');
const sample = (id: string): EntityKey => ({ entity_type: 'sample', external_id: id });

/**
 * Components in memory, answering digests by brute force over their whole state (the spec's
 * oracle for what an incremental index must say), and counting what the scan asked.
 */
function lab(runs: CappellaRun[], entities: HippoEntity[]) {
  const calls = { digests: 0, listings: 0, runs: 0 };
  const inRange = (key: EntityKey, range: SlotRange) => {
    const slot = digestSlot(key);
    return range.from <= slot && slot < range.to;
  };
  const digest = (pairs: Array<[EntityKey, string]>, range: SlotRange, buckets: number) => {
    calls.digests += 1;
    return bucketRanges(range, buckets).map((bucket) => {
      const inside = pairs.filter(([key]) => inRange(key, bucket));
      return {
        ...bucket,
        count: inside.length,
        hash: hashToHex(inside.reduce((sum, [key, run]) => addHashes(sum, pairHash(key, run)), 0n)),
      };
    });
  };
  const outputs = runs.flatMap((run) =>
    run.outputs.map((key) => [key, run.run_id] as [EntityKey, string]),
  );
  const hippoPairs = entities
    .filter((e) => e.provenance)
    .map((e) => [e, hippoDigestRun(e.provenance!.run_id, e.available)] as [EntityKey, string]);
  const components: DigestScanComponents = {
    cappella: {
      outputDigest: (range, buckets) => Promise.resolve(digest(outputs, range, buckets)),
      outputsIn: (range) => {
        calls.listings += 1;
        return Promise.resolve(
          outputs
            .filter(([key]) => inRange(key, range))
            .map(([key, run_id]) => ({ ...key, run_id })),
        );
      },
      getRun: (id) => {
        calls.runs += 1;
        return Promise.resolve(runs.find((run) => run.run_id === id) ?? null);
      },
    },
    hippo: {
      entityDigest: (range, buckets) => Promise.resolve(digest(hippoPairs, range, buckets)),
      entitiesIn: (range) => {
        calls.listings += 1;
        return Promise.resolve(entities.filter((e) => inRange(e, range)));
      },
      lookup: (keys) =>
        Promise.resolve(
          keys.map((key) => {
            const found = entities.find((e) => entityKeyId(e) === entityKeyId(key));
            return { ...key, exists: !!found, provenance: found?.provenance ?? null };
          }),
        ),
    },
  };
  return { components, calls };
}

async function scanAll(components: DigestScanComponents): Promise<ScanDiscrepancy[]> {
  let pending: SlotRange[] = [{ from: 0, to: DIGEST_SLOTS }];
  const found: ScanDiscrepancy[] = [];
  while (pending.length > 0) {
    const step = await digestStep(
      components,
      pending,
      { buckets: 16, listLimit: 8, rangesPerStep: 4 },
      CUTOFF,
    );
    pending = step.pending;
    found.push(...step.discrepancies);
  }
  return found;
}

function history(count: number) {
  const runs: CappellaRun[] = [];
  const entities: HippoEntity[] = [];
  for (let i = 0; i < count; i += 1) {
    const outputs = [sample(`S${i}-a`), sample(`S${i}-b`)];
    runs.push({
      run_id: `run-${i}`,
      pipeline_id: 'p',
      status: 'COMPLETED',
      inputs: {},
      outputs,
      updated_at: OLD,
    });
    for (const key of outputs)
      entities.push({ ...key, available: true, provenance: { run_id: `run-${i}` } });
  }
  return { runs, entities };
}

describe('digestStep', () => {
  it('reads no listing when both sides agree', async () => {
    const { runs, entities } = history(500);
    const { components, calls } = lab(runs, entities);
    expect(await scanAll(components)).toEqual([]);
    expect(calls).toEqual({ digests: 2, listings: 0, runs: 0 });
  });

  it('finds a lost output, an unavailable one and an orphan, listing only around them', async () => {
    const { runs, entities } = history(500);
    const lost = entities.findIndex((e) => e.external_id === 'S7-b');
    entities.splice(lost, 1);
    entities.find((e) => e.external_id === 'S300-a')!.available = false;
    entities.push({ ...sample('X1'), available: true, provenance: { run_id: 'run-deleted' } });
    const { components, calls } = lab(runs, entities);

    const found = await scanAll(components);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'missing_entity',
          runId: 'run-7',
          entities: [sample('S7-b')],
        }),
        expect.objectContaining({
          type: 'missing_entity',
          runId: 'run-300',
          entities: [sample('S300-a')],
        }),
        expect.objectContaining({
          type: 'orphan_provenance',
          runId: 'run-deleted',
          entity: sample('X1'),
        }),
      ]),
    );
    expect(found).toHaveLength(3);
    // Three differences among 1,000 pairs: a handful of listings, never the whole history.
    expect(calls.listings).toBeLessThanOrEqual(12);
  });

  it('reports nothing for an output Hippo credits to the run that resubmitted it', async () => {
    const { runs, entities } = history(50);
    runs.push({ ...runs[3], run_id: 'run-3-again' });
    for (const e of entities)
      if (e.provenance?.run_id === 'run-3') e.provenance = { run_id: 'run-3-again' };
    const { components } = lab(runs, entities);
    expect(await scanAll(components)).toEqual([]);
  });

  it('leaves a run changed after the cutoff to the next scan', async () => {
    const { runs, entities } = history(50);
    runs[9] = { ...runs[9], updated_at: '2026-07-01T00:00:00.000Z' };
    entities.splice(
      entities.findIndex((e) => e.external_id === 'S9-a'),
      1,
    );
    const { components } = lab(runs, entities);
    expect(await scanAll(components)).toEqual([]);
  });
});
