import { entityKeyId, type CheckRequested } from '@bridge/contracts';
import { decideCheck, entitiesOf, missingFrom, withoutScanReported } from './check-decision';

const settings = { graceDelayMs: 1_000, retryDelaysMs: [100, 500] };
const key = (id: string) => ({ entity_type: 'sample', external_id: id });

function work(overrides: Partial<CheckRequested> = {}): CheckRequested {
  return {
    event_id: '00000000-0000-4000-8000-000000000001',
    occurred_at: 10_000,
    check_type: 'post_run',
    check_key: 'post_run:r1',
    source: 'cappella',
    source_event_id: 'e1',
    source_id: 'r1',
    run_id: 'r1',
    pipeline_id: 'p1',
    actor: 'alice',
    entities: [key('a'), key('b')],
    change: null,
    triggered_at: 10_000,
    attempt: 1,
    not_before: null,
    delay_reason: null,
    last_error: null,
    ...overrides,
  };
}

describe('decideCheck', () => {
  it('is ok when Hippo has every output', () => {
    const decision = decideCheck(
      work(),
      { kind: 'outputs', expected: [key('a'), key('b')], missing: [] },
      settings,
      10_100,
    );
    expect(decision).toEqual({ kind: 'ok', checkedCount: 2 });
  });

  it('re-checks a missing output at the end of the grace delay, counted from the run', () => {
    const decision = decideCheck(
      work(),
      { kind: 'outputs', expected: [key('a'), key('b')], missing: [key('b')] },
      settings,
      10_100,
    );
    expect(decision).toEqual({ kind: 'recheck', notBefore: 11_000, missing: [key('b')] });
  });

  it('calls a still-missing output a missing_entity mismatch once the grace delay is over', () => {
    const decision = decideCheck(
      work({ delay_reason: 'grace' }),
      { kind: 'outputs', expected: [key('a'), key('b')], missing: [key('b')] },
      settings,
      11_000,
    );
    expect(decision).toEqual({
      kind: 'mismatch',
      mismatchType: 'missing_entity',
      missing: [key('b')],
      checkedCount: 2,
    });
  });

  it('records a failed run with written outputs as partial_output, without grace', () => {
    const decision = decideCheck(
      work({ check_type: 'failed_run', check_key: 'failed_run:r1' }),
      { kind: 'outputs', expected: [key('a')], missing: [] },
      settings,
      10_001,
    );
    expect(decision).toMatchObject({ kind: 'mismatch', mismatchType: 'partial_output' });
  });

  it('schedules delayed retries while attempts remain, then fails the check', () => {
    const down = { kind: 'unavailable' as const, error: 'hippo: HTTP 503' };
    expect(decideCheck(work({ attempt: 1 }), down, settings, 5)).toEqual({
      kind: 'retry',
      notBefore: 105,
      error: 'hippo: HTTP 503',
    });
    expect(decideCheck(work({ attempt: 2 }), down, settings, 5)).toMatchObject({
      kind: 'retry',
      notBefore: 505,
    });
    const final = decideCheck(work({ attempt: 3 }), down, settings, 5);
    expect(final.kind).toBe('failed');
    expect(final).toMatchObject({ reason: expect.stringContaining('hippo: HTTP 503') });
  });

  it('fails a check at once when a component refuses the request', () => {
    expect(
      decideCheck(work(), { kind: 'refused', error: 'hippo: HTTP 400: bad key' }, settings, 1),
    ).toEqual({ kind: 'failed', reason: 'refused: hippo: HTTP 400: bad key' });
  });

  it('retries a run Cappella does not know yet, and fails it once the retries are spent', () => {
    expect(decideCheck(work(), { kind: 'unknown_run' }, settings, 1)).toMatchObject({
      kind: 'retry',
      notBefore: 101,
    });
    expect(decideCheck(work({ attempt: 3 }), { kind: 'unknown_run' }, settings, 1)).toMatchObject({
      kind: 'failed',
      reason: expect.stringContaining('does not know run r1'),
    });
  });

  it('finds a stale cache when Canon still holds artifacts, and a clean one otherwise', () => {
    const staleness = work({ check_type: 'canon_staleness', run_id: null });
    const artifacts = [
      { artifact_id: 'x1', ...key('a') },
      { artifact_id: 'x2', ...key('a') },
    ];
    expect(decideCheck(staleness, { kind: 'artifacts', artifacts }, settings, 1)).toEqual({
      kind: 'stale_cache',
      artifacts,
      entities: [key('a')],
    });
    expect(decideCheck(staleness, { kind: 'artifacts', artifacts: [] }, settings, 1)).toEqual({
      kind: 'cache_clean',
      checkedCount: 2,
    });
  });
});

describe('entity keys', () => {
  it('lists what is missing in expected order and de-duplicates artifact entities', () => {
    const present = new Set([entityKeyId(key('b'))]);
    expect(missingFrom([key('c'), key('b'), key('a')], present)).toEqual([key('c'), key('a')]);
    expect(
      entitiesOf([
        { artifact_id: '1', ...key('a') },
        { artifact_id: '2', ...key('a') },
      ]),
    ).toEqual([key('a')]);
  });

  it('does not confuse keys whose parts run together', () => {
    expect(entityKeyId({ entity_type: 'a:b', external_id: 'c' })).not.toBe(
      entityKeyId({ entity_type: 'a', external_id: 'b:c' }),
    );
  });
});

describe('withoutScanReported', () => {
  const artifact = (id: string, entity: string) => ({
    artifact_id: id,
    entity_type: 'sample',
    external_id: entity,
  });
  const stale = {
    kind: 'stale_cache' as const,
    artifacts: [artifact('a1', 'e1'), artifact('a2', 'e2')],
    entities: [
      { entity_type: 'sample', external_id: 'e1' },
      { entity_type: 'sample', external_id: 'e2' },
    ],
  };

  it('keeps a decision no scan finding touches as it is', () => {
    expect(withoutScanReported(stale, 2, new Map([['other', 'f-1']]))).toBe(stale);
    const ok = { kind: 'ok' as const, checkedCount: 1 };
    expect(withoutScanReported(ok, 1, new Map([['a1', 'f-1']]))).toBe(ok);
  });

  it('drops the artifacts and entities a scan reported, keeping the rest stale', () => {
    expect(withoutScanReported(stale, 2, new Map([['a1', 'f-1']]))).toEqual({
      kind: 'stale_cache',
      artifacts: [artifact('a2', 'e2')],
      entities: [{ entity_type: 'sample', external_id: 'e2' }],
    });
  });

  it('is a clean cache naming the scan findings when they reported every artifact', () => {
    const reported = new Map([
      ['a1', 'f-1'],
      ['a2', 'f-1'],
    ]);
    expect(withoutScanReported(stale, 2, reported)).toEqual({
      kind: 'cache_clean',
      checkedCount: 2,
      reportedIn: ['f-1'],
    });
  });
});
