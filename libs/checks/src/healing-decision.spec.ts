import { entityKeyId, type EntityKey } from '@bridge/contracts';
import { type SyncEvent } from '@bridge/store';
import {
  sampleCheckFailedFinding,
  sampleMismatchFinding,
  sampleOkFinding,
  sampleStaleCacheFinding,
  sampleStoredEvent,
} from '@bridge/store/testing';
import {
  decideHealing,
  healedEventFor,
  healingReadsFor,
  nextRecheckInMs,
  rerunWorkFor,
  type HealingObservation,
} from './healing-decision';
import { repairedEventIdFor } from '@bridge/contracts';

const key = (id: string): EntityKey => ({ entity_type: 'sample', external_id: id });

function seen(options: Partial<Record<keyof HealingObservation, string[]>>): HealingObservation {
  return {
    unavailable: new Set((options.unavailable ?? []).map((id) => entityKeyId(key(id)))),
    heldArtifacts: new Set(options.heldArtifacts ?? []),
    knownRuns: new Set(options.knownRuns ?? []),
  };
}

function missing(ids: string[], type: 'missing_entity' | 'dangling_reference' = 'missing_entity') {
  return sampleStoredEvent(
    sampleMismatchFinding('run-1', { mismatchType: type, missing: ids.map(key) }),
  );
}

describe('decideHealing', () => {
  it('heals a missing-entity finding once Hippo has every entity it named', () => {
    const finding = missing(['a', 'b']);
    expect(decideHealing(finding, seen({ unavailable: ['b'] }))).toEqual({ kind: 'holds' });
    const decision = decideHealing(finding, seen({ unavailable: ['other'] }));
    expect(decision).toEqual({
      kind: 'healed',
      reason: 'Hippo now has the 2 missing entities: sample:a, sample:b',
    });
  });

  it('heals a dangling reference once the referenced entity is offered again', () => {
    const finding = missing(['x'], 'dangling_reference');
    expect(decideHealing(finding, seen({ unavailable: ['x'] })).kind).toBe('holds');
    expect(decideHealing(finding, seen({}))).toEqual({
      kind: 'healed',
      reason: 'Hippo now has the referenced entity: sample:x',
    });
  });

  it('keeps a partial output open while any of what the failed run wrote is in Hippo', () => {
    const entry = sampleMismatchFinding('run-2', { mismatchType: 'partial_output', missing: [] });
    const finding = sampleStoredEvent({
      ...entry,
      details: { ...entry.details, partial_outputs: [key('p1'), key('p2')] },
    });
    expect(healingReadsFor(finding).entities).toEqual([key('p1'), key('p2')]);
    expect(decideHealing(finding, seen({ unavailable: ['p1'] })).kind).toBe('holds');
    expect(decideHealing(finding, seen({ unavailable: ['p1', 'p2'] }))).toMatchObject({
      kind: 'healed',
    });
  });

  it('heals orphan provenance when Cappella knows the run, or the entity is gone', () => {
    const entry = sampleMismatchFinding('run-9', {
      mismatchType: 'orphan_provenance',
      missing: [key('e')],
    });
    const finding = sampleStoredEvent(entry);
    expect(healingReadsFor(finding).runIds).toEqual(['run-9']);
    expect(decideHealing(finding, seen({})).kind).toBe('holds');
    expect(decideHealing(finding, seen({ knownRuns: ['run-9'] }))).toEqual({
      kind: 'healed',
      reason: 'Cappella now knows run run-9',
    });
    expect(decideHealing(finding, seen({ unavailable: ['e'] }))).toEqual({
      kind: 'healed',
      reason: 'Hippo no longer has sample:e',
    });
  });

  it('heals a stale cache once Canon holds none of its artifacts not yet reported evicted', () => {
    const entry = sampleStaleCacheFinding({
      artifactIds: ['art-1', 'art-2'],
      entities: [key('gone')],
    });
    const finding = sampleStoredEvent({
      ...entry,
      details: { ...entry.details, evicted_artifact_ids: ['art-1'] },
    });
    expect(healingReadsFor(finding).artifactEntities).toEqual([key('gone')]);
    const stillHeld = seen({ unavailable: ['gone'], heldArtifacts: ['art-2'] });
    expect(decideHealing(finding, stillHeld).kind).toBe('holds');
    // art-1 was reported evicted already: what Canon says of it does not keep the finding open.
    expect(
      decideHealing(finding, seen({ unavailable: ['gone'], heldArtifacts: ['art-1'] })),
    ).toEqual({ kind: 'healed', reason: 'Canon no longer holds the stale artifact' });
  });

  it('heals a stale cache whose entities Hippo offers again', () => {
    const finding = sampleStoredEvent(
      sampleStaleCacheFinding({ artifactIds: ['art-3'], entities: [key('back')] }),
    );
    expect(decideHealing(finding, seen({ heldArtifacts: ['art-3'] }))).toEqual({
      kind: 'healed',
      reason: 'Hippo offers the entity again: the artifacts are no longer stale',
    });
  });

  it('runs a failed check again instead of judging it, and never heals a record', () => {
    const failed = sampleStoredEvent(sampleCheckFailedFinding('run-3'));
    expect(decideHealing(failed, seen({}))).toEqual({ kind: 'run_check_again' });
    const ok = sampleStoredEvent(sampleOkFinding('run-4'));
    expect(decideHealing(ok, seen({})).kind).toBe('holds');
    expect(healingReadsFor(ok)).toEqual({ entities: [], artifactEntities: [], runIds: [] });
  });
});

describe('nextRecheckInMs', () => {
  it('walks the schedule, then leaves the finding to scans and operators', () => {
    const delays = [60_000, 600_000, 3_600_000];
    expect(nextRecheckInMs(delays, 1)).toBe(600_000);
    expect(nextRecheckInMs(delays, 2)).toBe(3_600_000);
    expect(nextRecheckInMs(delays, 3)).toBeNull();
    expect(nextRecheckInMs([], 1)).toBeNull();
  });
});

describe('healedEventFor', () => {
  it('announces the healing under the id any closure of the finding uses, with the reason', () => {
    const finding: SyncEvent = missing(['a']);
    const event = healedEventFor({ ...finding, resolutionNote: 'Hippo now has it' }, 42);
    expect(event).toEqual({
      event_id: repairedEventIdFor(finding.id),
      occurred_at: 42,
      sync_event_id: finding.id,
      mismatch_type: 'missing_entity',
      run_id: 'run-1',
      resolution: 'healed',
      resolved_by: 'bridge',
      new_run_id: null,
      reason: 'Hippo now has it',
    });
  });
});

describe('rerunWorkFor', () => {
  it('turns a failed check back into a first attempt under the same check key', () => {
    const finding = sampleStoredEvent(sampleCheckFailedFinding('run-5', { reason: 'Hippo down' }));
    const work = rerunWorkFor(finding, 99);
    expect(work).toMatchObject({
      check_type: 'post_run',
      check_key: 'post_run:run-5',
      source_id: 'run-5',
      run_id: 'run-5',
      attempt: 1,
      occurred_at: 99,
      last_error: 'Hippo down',
    });
    expect(rerunWorkFor(missing(['a']), 99)).toBeNull();
  });
});
