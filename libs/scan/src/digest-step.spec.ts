import type { CappellaRun, HippoEntity } from '@bridge/components';
import { DIGEST_SLOTS, type EntityKey, type SlotRange } from '@bridge/contracts';
import { digestStep, type DigestScanComponents } from './digest-step';
import { inMemoryRangeDigests } from './testing/in-memory-range-digests';
import type { ScanDiscrepancy } from './scan-decisions';

const OLD = '2026-01-01T00:00:00.000Z';
const CUTOFF = new Date('2026-06-01T00:00:00Z');
const sample = (id: string): EntityKey => ({ entity_type: 'sample', external_id: id });

/** Components in memory whose digests are computed by brute force (the oracle). */
function lab(runs: CappellaRun[], entities: HippoEntity[], listingMax = Infinity) {
  return inMemoryRangeDigests(() => ({ runs, entities }), listingMax);
}

async function scanAll(
  components: DigestScanComponents,
  listLimit = 8,
): Promise<ScanDiscrepancy[]> {
  let pending: SlotRange[] = [{ from: 0, to: DIGEST_SLOTS }];
  const found: ScanDiscrepancy[] = [];
  while (pending.length > 0) {
    const step = await digestStep(
      components,
      pending,
      { buckets: 16, listLimit, rangesPerStep: 4 },
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
    expect(calls).toEqual({ digests: 2, listings: 0, runs: 0, lookups: 0 });
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

  it('names every output a judged run lost, also those in ranges listed at another step', async () => {
    const { runs, entities } = history(500);
    // S42-a and S42-b sit in different slots: a digest step lists only the range around one.
    entities.find((e) => e.external_id === 'S42-a')!.available = false;
    entities.find((e) => e.external_id === 'S42-b')!.available = false;
    const { components } = lab(runs, entities);

    const found = await scanAll(components);
    expect(found.length).toBeGreaterThanOrEqual(1);
    for (const discrepancy of found) {
      expect(discrepancy).toMatchObject({
        type: 'missing_entity',
        runId: 'run-42',
        entities: [sample('S42-a'), sample('S42-b')],
      });
    }
  });

  it('cuts a range that grew past what a component lists at once, and still finds the lost output', async () => {
    const { runs, entities } = history(500);
    entities.splice(
      entities.findIndex((e) => e.external_id === 'S11-a'),
      1,
    );
    // The plan lists ranges of up to 400 pairs; the components refuse more than 20 at once.
    const { components, calls } = lab(runs, entities, 20);

    const found = await scanAll(components, 400);
    expect(found).toEqual([
      expect.objectContaining({
        type: 'missing_entity',
        runId: 'run-11',
        entities: [sample('S11-a')],
      }),
    ]);
    expect(calls.digests).toBeGreaterThan(2);
  });
});
