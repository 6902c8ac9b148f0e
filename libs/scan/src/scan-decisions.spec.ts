import { describe, expect, it } from '@jest/globals';
import type { CappellaRun, HippoEntity } from '@bridge/components';
import { DEFAULT_STRATEGIES, entityKeyId, type EntityKey } from '@bridge/contracts';
import {
  artifactEntities,
  checkpointAfterPage,
  initialCheckpoint,
  isJudgeable,
  keysToLookUp,
  orphanDiscrepancies,
  phaseAfter,
  talliesOutputs,
  expectedOutputTallies,
  progressOf,
  scanProgressSamples,
  provenanceRunIds,
  runDiscrepancies,
  scanFindingFor,
  scanMethodFor,
  scanModeFor,
  staleCacheDiscrepancies,
  subjectOf,
  unavailableByRun,
  unavailableOutputsOf,
  unreportedStaleCache,
} from './scan-decisions';

const key = (id: string, type = 'sample'): EntityKey => ({ entity_type: type, external_id: id });
const cutoff = new Date('2026-12-01T10:00:00Z');
const before = '2026-12-01T09:00:00.000Z';
const after = '2026-12-01T10:00:01.000Z';

function run(id: string, fields: Partial<CappellaRun> = {}): CappellaRun {
  return {
    run_id: id,
    pipeline_id: 'align',
    status: 'COMPLETED',
    inputs: {},
    outputs: [],
    updated_at: before,
    ...fields,
  };
}

function entity(id: string, fields: Partial<HippoEntity> = {}): HippoEntity {
  return {
    entity_type: 'sample',
    external_id: id,
    available: true,
    provenance: { run_id: 'r1' },
    ...fields,
  };
}

const availableOf = (...keys: EntityKey[]) => new Set(keys.map(entityKeyId));

describe('isJudgeable', () => {
  it('leaves running runs and runs changed after the grace cutoff to a later scan', () => {
    expect(isJudgeable(run('a'), cutoff)).toBe(true);
    expect(isJudgeable(run('b', { status: 'FAILED' }), cutoff)).toBe(true);
    expect(isJudgeable(run('c', { status: 'RUNNING' }), cutoff)).toBe(false);
    expect(isJudgeable(run('d', { updated_at: after }), cutoff)).toBe(false);
    expect(isJudgeable(run('e', { updated_at: 'yesterday-ish' }), cutoff)).toBe(true);
  });
});

describe('runDiscrepancies', () => {
  const runs = [
    run('complete', { outputs: [key('o1'), key('o2')] }),
    run('lost-one', { outputs: [key('o3'), key('o4')] }),
    run('dangling', {
      inputs: { upstream: key('gone'), genome: key('g1', 'genome'), note: 'x' },
      outputs: [key('o5')],
    }),
    run('failed', { status: 'FAILED', outputs: [key('never')] }),
    run('recent', { updated_at: after, outputs: [key('lagging')] }),
  ];
  const available = availableOf(key('o1'), key('o2'), key('o3'), key('o5'), key('g1', 'genome'));

  it('looks up judgeable runs only: completed runs by output, every run by input reference', () => {
    expect(keysToLookUp(runs, cutoff).map((k) => k.external_id)).toEqual([
      'o1',
      'o2',
      'o3',
      'o4',
      'o5',
      'gone',
      'g1',
    ]);
  });

  it('reports the outputs Hippo lacks and the references it lacks, each as its own finding', () => {
    expect(runDiscrepancies(runs, cutoff, available)).toEqual([
      {
        type: 'missing_entity',
        runId: 'lost-one',
        pipelineId: 'align',
        entities: [key('o4')],
        checked: 2,
      },
      {
        type: 'dangling_reference',
        runId: 'dangling',
        pipelineId: 'align',
        entities: [key('gone')],
        checked: 2,
      },
    ]);
  });

  it('finds nothing when Hippo has every output and reference', () => {
    expect(
      runDiscrepancies([run('a', { outputs: [key('o1')] })], cutoff, availableOf(key('o1'))),
    ).toEqual([]);
  });
});

describe('the Hippo side', () => {
  const entities = [
    entity('e1'),
    entity('e2', { provenance: { run_id: 'deleted-run' } }),
    entity('e3', { provenance: null }),
    entity('e4', { available: false }),
    entity('e5', { available: false, provenance: { run_id: 'deleted-run' } }),
  ];
  const existing = new Set(['r1']);

  it('names each provenance run once', () => {
    expect(provenanceRunIds(entities)).toEqual(['r1', 'deleted-run']);
  });

  it('reports entities whose provenance names a run Cappella does not have, available or not', () => {
    expect(orphanDiscrepancies(entities, existing)).toEqual([
      { type: 'orphan_provenance', runId: 'deleted-run', entity: key('e2') },
      { type: 'orphan_provenance', runId: 'deleted-run', entity: key('e5') },
    ]);
  });

  it('groups unavailable entities by their existing producing run', () => {
    expect(unavailableByRun(entities, existing)).toEqual(new Map([['r1', [key('e4')]]]));
  });

  it('counts an unavailable output as missing, with the outputs Hippo lacks outright', () => {
    const producer = run('r1', { outputs: [key('e1'), key('e4'), key('e6')] });
    expect(
      unavailableOutputsOf(producer, [key('e4')], availableOf(key('e1'), key('e4')), cutoff),
    ).toEqual({
      type: 'missing_entity',
      runId: 'r1',
      pipelineId: 'align',
      entities: [key('e4'), key('e6')],
      checked: 3,
    });
  });

  it('says nothing when the entity is not the run’s output, or the run cannot be judged yet', () => {
    const available = availableOf(key('e1'));
    expect(
      unavailableOutputsOf(run('r1', { outputs: [key('e1')] }), [key('e4')], available, cutoff),
    ).toBeNull();
    expect(
      unavailableOutputsOf(
        run('r1', { outputs: [key('e4')], updated_at: after }),
        [key('e4')],
        available,
        cutoff,
      ),
    ).toBeNull();
    expect(unavailableOutputsOf(null, [key('e4')], available, cutoff)).toBeNull();
  });
});

describe('scanFindingFor', () => {
  const scan = { id: 'scan-1', startedAt: new Date(1_000), requestedAt: new Date(500) };

  it('records a run discrepancy at the run, keyed by the scan, announcing a mismatch', () => {
    const finding = scanFindingFor(
      { type: 'missing_entity', runId: 'r9', pipelineId: 'p', entities: [key('x')], checked: 3 },
      scan,
      { ...DEFAULT_STRATEGIES, missing_entity: 'resubmit_run' },
    );
    expect(finding).toMatchObject({
      source: 'cappella',
      sourceId: 'r9',
      dedupeKey: 'scan:scan-1:missing_entity:r9',
      eventType: 'bridge.sync.mismatch',
      mismatchType: 'missing_entity',
      repairStrategy: 'resubmit_run',
      publishes: true,
      details: {
        check_type: 'full_scan',
        run_id: 'r9',
        pipeline_id: 'p',
        source_event_id: 'scan-1',
        scan_id: 'scan-1',
        triggered_at: 1_000,
        checked_count: 3,
        missing_entities: [key('x')],
      },
    });
  });

  it('records an orphan at the entity, naming the run that does not exist', () => {
    const orphan = { type: 'orphan_provenance' as const, runId: 'gone', entity: key('e2') };
    expect(subjectOf(orphan)).toEqual({
      mismatchType: 'orphan_provenance',
      source: 'hippo',
      sourceId: 'sample:e2',
    });
    expect(scanFindingFor(orphan, scan, DEFAULT_STRATEGIES)).toMatchObject({
      sourceId: 'sample:e2',
      dedupeKey: 'scan:scan-1:orphan_provenance:sample:e2',
      repairStrategy: 'alert_only',
      details: { run_id: 'gone', pipeline_id: null, missing_entities: [key('e2')] },
    });
  });
});

describe('checkpointAfterPage', () => {
  const start = { after: null, resumeAt: null, resumeFixed: false };

  it('moves to the next page and keeps the last page read as where the next scan starts', () => {
    const first = checkpointAfterPage(start, null, 'c1', false);
    expect(first).toEqual({
      checkpoint: { after: 'c1', resumeAt: null, resumeFixed: false },
      done: false,
    });
    const last = checkpointAfterPage(first.checkpoint, 'c1', null, false);
    expect(last).toEqual({
      checkpoint: { after: 'c1', resumeAt: 'c1', resumeFixed: false },
      done: true,
    });
  });

  it('holds the next scan at the first page that had a run too recent to judge', () => {
    const held = checkpointAfterPage(
      { after: 'c1', resumeAt: null, resumeFixed: false },
      'c1',
      'c2',
      true,
    );
    expect(held.checkpoint).toEqual({ after: 'c2', resumeAt: 'c1', resumeFixed: true });
    const later = checkpointAfterPage(held.checkpoint, 'c2', null, true);
    expect(later.checkpoint).toEqual({ after: 'c2', resumeAt: 'c1', resumeFixed: true });
  });

  it('starts a full scan at the beginning and an incremental one at the saved cursors', () => {
    expect(initialCheckpoint('full', { cappella: 'x', hippo: 'y' }).cappella.after).toBeNull();
    expect(initialCheckpoint('incremental', { cappella: 'x', hippo: 'y' })).toEqual({
      cappella: { after: 'x', resumeAt: 'x', resumeFixed: false },
      hippo: { after: 'y', resumeAt: 'y', resumeFixed: false },
    });
  });
});

describe('scanModeFor', () => {
  const now = Date.parse('2026-12-08T00:00:00Z');
  const week = 7 * 24 * 3_600_000;

  it('scans in full without cursors or when asked, incrementally when asked and possible', () => {
    const common = { lastFullScanAt: new Date(now - 1_000), now, fullIntervalMs: week };
    expect(scanModeFor({ ...common, asked: 'incremental', hasCursors: false })).toBe('full');
    expect(scanModeFor({ ...common, asked: 'full', hasCursors: true })).toBe('full');
    expect(scanModeFor({ ...common, asked: 'incremental', hasCursors: true })).toBe('incremental');
  });

  it('makes a scheduled scan a full re-scan once the last full scan is older than the interval', () => {
    const common = { asked: null, hasCursors: true, now, fullIntervalMs: week };
    expect(scanModeFor({ ...common, lastFullScanAt: new Date(now - week + 1) })).toBe(
      'incremental',
    );
    expect(scanModeFor({ ...common, lastFullScanAt: new Date(now - week) })).toBe('full');
    expect(scanModeFor({ ...common, lastFullScanAt: null })).toBe('full');
  });
});

describe('initialCheckpoint of a digest scan', () => {
  it('starts with the whole slot space to compare and carries the saved cursors through', () => {
    expect(initialCheckpoint('full', { cappella: 'x', hippo: 'y' }, 'digest')).toEqual({
      cappella: { after: 'x', resumeAt: 'x', resumeFixed: false },
      hippo: { after: 'y', resumeAt: 'y', resumeFixed: false },
      digest: { pending: [{ from: 0, to: 65_536 }] },
    });
  });
});

describe('scanMethodFor', () => {
  const day = 24 * 3_600_000;
  const now = Date.parse('2026-12-01T00:00:00Z');
  const base = {
    mode: 'full' as const,
    asked: null,
    digestsOffered: true,
    lastListingFullScanAt: new Date(now - day),
    now,
    listingIntervalMs: 28 * day,
  };

  it('compares digests for a full scan while the reference pass is not due', () => {
    expect(scanMethodFor(base)).toBe('digest');
  });

  it('lists when the reference pass is due, or has never run', () => {
    expect(scanMethodFor({ ...base, lastListingFullScanAt: new Date(now - 28 * day) })).toBe(
      'listing',
    );
    expect(scanMethodFor({ ...base, lastListingFullScanAt: null })).toBe('listing');
  });

  it('lists for an incremental scan, without the capability, or when listing is asked for', () => {
    expect(scanMethodFor({ ...base, mode: 'incremental' })).toBe('listing');
    expect(scanMethodFor({ ...base, digestsOffered: false, asked: 'digest' })).toBe('listing');
    expect(scanMethodFor({ ...base, asked: 'listing' })).toBe('listing');
  });

  it('compares digests when asked, even with the reference pass due', () => {
    expect(scanMethodFor({ ...base, asked: 'digest', lastListingFullScanAt: null })).toBe('digest');
  });
});

describe('progressOf', () => {
  it('measures a digest scan by the share of the slot space settled', () => {
    const startedAt = new Date(Date.parse('2026-12-01T10:00:00Z'));
    const progress = progressOf(
      {
        status: 'running',
        items: { cappella: 10, hippo: 10, canon: 0 },
        estimatedItems: null,
        startedAt,
        checkpoint: {
          cappella: { after: null, resumeAt: null, resumeFixed: false },
          hippo: { after: null, resumeAt: null, resumeFixed: false },
          digest: { pending: [{ from: 0, to: 16_384 }] },
        },
      },
      startedAt.getTime() + 3_000,
    );
    expect(progress.fraction).toBe(0.75);
    expect(progress.estimatedCompletionAt).toEqual(new Date(startedAt.getTime() + 4_000));
  });

  it('estimates the share done and the completion time from the previous comparable scan', () => {
    const startedAt = new Date(0);
    expect(
      progressOf(
        {
          status: 'running',
          items: { cappella: 100, hippo: 150, canon: 0 },
          estimatedItems: 1_000,
          startedAt,
        },
        10_000,
      ),
    ).toEqual({ itemsRead: 250, fraction: 0.25, estimatedCompletionAt: new Date(40_000) });
  });

  it('gives no estimate without a previous scan, and never says done before it is', () => {
    const startedAt = new Date(0);
    expect(
      progressOf(
        {
          status: 'running',
          items: { cappella: 5, hippo: 0, canon: 0 },
          estimatedItems: null,
          startedAt,
        },
        1,
      ),
    ).toEqual({ itemsRead: 5, fraction: null, estimatedCompletionAt: null });
    expect(
      progressOf(
        {
          status: 'running',
          items: { cappella: 20, hippo: 0, canon: 0 },
          estimatedItems: 10,
          startedAt,
        },
        1,
      ).fraction,
    ).toBe(0.99);
  });
});

describe('scanProgressSamples', () => {
  const running = {
    mode: 'full' as const,
    status: 'running' as const,
    items: { cappella: 100, hippo: 150, canon: 0 },
    estimatedItems: 1_000,
    startedAt: new Date(0),
    counts: { missing_entity: 2, orphan_provenance: 1 },
  };

  it('shows items, findings, the fraction done and the seconds left of a running scan', () => {
    const byMeasure = Object.fromEntries(
      scanProgressSamples(running, 10_000).map((s) => [s.labels.measure, s.value]),
    );
    expect(byMeasure).toEqual({ items: 250, findings: 3, fraction: 0.25, eta_seconds: 30 });
  });

  it('leaves out the estimate without a previous scan, and shows nothing once the scan ended', () => {
    const measures = scanProgressSamples({ ...running, estimatedItems: null }, 10_000).map(
      (s) => s.labels.measure,
    );
    expect(measures).toEqual(['items', 'findings']);
    expect(scanProgressSamples({ ...running, status: 'completed' }, 10_000)).toEqual([]);
  });
});

describe('stale caches (Canon in full scans)', () => {
  const artifact = (id: string, entityId: string) => ({ artifact_id: id, ...key(entityId) });
  const page = [
    artifact('a1', 'kept'),
    artifact('a2', 'deleted'),
    artifact('a3', 'hidden'),
    artifact('a4', 'deleted'),
    artifact('a5', 'unasked'),
  ];
  const presence = new Map([
    [entityKeyId(key('kept')), { exists: true, available: true }],
    [entityKeyId(key('deleted')), { exists: false, available: false }],
    [entityKeyId(key('hidden')), { exists: true, available: false }],
  ]);

  it('names the distinct entities of a page once, in first-seen order', () => {
    expect(artifactEntities(page).map((k) => k.external_id)).toEqual([
      'kept',
      'deleted',
      'hidden',
      'unasked',
    ]);
  });

  it('reports per entity Hippo lacks or does not offer its artifacts, and nothing else', () => {
    expect(staleCacheDiscrepancies(page, presence)).toEqual([
      { type: 'stale_cache', entity: key('deleted'), change: 'DELETED', artifactIds: ['a2', 'a4'] },
      { type: 'stale_cache', entity: key('hidden'), change: 'UNAVAILABLE', artifactIds: ['a3'] },
    ]);
  });

  it('drops artifacts an open finding names, and the whole stale cache when none is left', () => {
    const [deleted] = staleCacheDiscrepancies(page, presence);
    expect(unreportedStaleCache(deleted, new Set(['a2']))).toMatchObject({ artifactIds: ['a4'] });
    expect(unreportedStaleCache(deleted, new Set(['a2', 'a4']))).toBeNull();
  });

  it("records a stale cache as the staleness check's kind of finding, keyed per page", () => {
    const scan = { id: 'scan-1', startedAt: new Date(5_000), requestedAt: new Date(1_000) };
    const [deleted] = staleCacheDiscrepancies(page, presence);
    const row = scanFindingFor(deleted, scan, DEFAULT_STRATEGIES);
    expect(row).toMatchObject({
      eventType: 'bridge.sync.stale_cache',
      mismatchType: 'stale_cache',
      source: 'canon',
      sourceId: 'sample:deleted',
      dedupeKey: 'scan:scan-1:stale_cache:sample:deleted:a2',
      repairStrategy: DEFAULT_STRATEGIES.stale_cache,
      details: {
        check_type: 'full_scan',
        change: 'DELETED',
        artifact_ids: ['a2', 'a4'],
        entities: [key('deleted')],
        scan_id: 'scan-1',
        triggered_at: 5_000,
      },
    });
  });

  it('reads Canon after the runs and entities of a full scan only, and only with the listing', () => {
    const digest = { mode: 'full', method: 'digest' } as const;
    const listing = { mode: 'full', method: 'listing' } as const;
    const incremental = { mode: 'incremental', method: 'listing' } as const;
    expect(phaseAfter('digest', digest, true)).toBe('canon');
    expect(phaseAfter('digest', digest, false)).toBe('done');
    expect(phaseAfter('outputs', listing, true)).toBe('canon');
    expect(phaseAfter('hippo', incremental, true)).toBe('done');
    expect(phaseAfter('canon', listing, true)).toBe('done');
  });
});

describe('output tallies in scans', () => {
  it('tallies outputs in full scans by listing only', () => {
    expect(talliesOutputs({ mode: 'full', method: 'listing' })).toBe(true);
    expect(talliesOutputs({ mode: 'full', method: 'digest' })).toBe(false);
    expect(talliesOutputs({ mode: 'incremental', method: 'listing' })).toBe(false);
  });

  it('goes from Cappella to Hippo, then judges differing tallies in a full scan by listing', () => {
    const listing = { mode: 'full', method: 'listing' } as const;
    expect(phaseAfter('cappella', listing, false)).toBe('hippo');
    expect(phaseAfter('hippo', listing, false)).toBe('outputs');
    expect(phaseAfter('outputs', listing, false)).toBe('done');
    expect(phaseAfter('hippo', { mode: 'incremental', method: 'listing' }, false)).toBe('done');
  });

  it('expects outputs only of judgeable completed runs, each distinct output once', () => {
    const tallies = expectedOutputTallies(
      [
        run('done', { outputs: [key('a'), key('b'), key('a')] }),
        run('failed', { status: 'FAILED', outputs: [key('c')] }),
        run('young', { outputs: [key('d')], updated_at: after }),
        run('running', { status: 'RUNNING', outputs: [key('e')] }),
      ],
      cutoff,
    );
    expect(tallies.map((t) => [t.runId, t.count])).toEqual([['done', 2]]);
  });

  it('looks up only references when outputs are tallied, and judges only what it is asked', () => {
    const runs = [run('r1', { outputs: [key('o1')], inputs: { upstream: key('u1') } })];
    const onlyReferences = { outputs: false, references: true };
    expect(keysToLookUp(runs, cutoff, onlyReferences)).toEqual([key('u1')]);
    expect(runDiscrepancies(runs, cutoff, new Set(), onlyReferences).map((d) => d.type)).toEqual([
      'dangling_reference',
    ]);
    const onlyOutputs = { outputs: true, references: false };
    expect(runDiscrepancies(runs, cutoff, new Set(), onlyOutputs).map((d) => d.type)).toEqual([
      'missing_entity',
    ]);
  });
});
