import { sampleMismatchFinding, type RepairJob, type SyncEvent } from '@bridge/store';
import { findingHistory } from './finding-history';

const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 12, minute));

function finding(overrides: Partial<SyncEvent> = {}): SyncEvent {
  const entry = sampleMismatchFinding('run-1');
  return {
    id: 'f-1',
    eventType: 'bridge.sync.mismatch',
    mismatchType: 'missing_entity',
    repairStrategy: 'resubmit_run',
    source: entry.source,
    sourceId: entry.sourceId,
    dedupeKey: entry.dedupeKey,
    actor: 'checker',
    details: entry.details,
    resolved: false,
    resolvedAt: null,
    resolvedBy: null,
    resolutionNote: null,
    createdAt: at(0),
    outboundEventId: null,
    publishedAt: null,
    recheckCount: 0,
    nextRecheckAt: null,
    lastCheckedAt: null,
    snoozedUntil: null,
    snoozedBy: null,
    snoozeReason: null,
    ...overrides,
  } as SyncEvent;
}

function job(overrides: Partial<RepairJob>): RepairJob {
  return {
    id: 'j-1',
    syncEventId: 'f-1',
    mismatchType: 'missing_entity',
    strategy: 'resubmit_run',
    state: 'PENDING',
    priority: 0,
    plan: null,
    attempts: 0,
    lastError: null,
    nextAttemptAt: at(1),
    submittedRunId: null,
    confirmBy: null,
    decidedBy: null,
    decisionReason: null,
    findingCreatedAt: at(0),
    createdAt: at(1),
    updatedAt: at(1),
    finishedAt: null,
    ...overrides,
  } as RepairJob;
}

describe('findingHistory', () => {
  it('is only the detection for a finding without a repair', () => {
    expect(findingHistory(finding(), null)).toEqual([
      { at: at(0).toISOString(), step: 'detected', by: 'checker', note: null },
    ]);
  });

  it('follows an approved resubmission to its confirmation and the resolution', () => {
    const steps = findingHistory(
      finding({ resolved: true, resolvedAt: at(9), resolvedBy: 'repair' }),
      job({
        state: 'DONE',
        decidedBy: 'alice',
        decisionReason: 'pipeline is safe to rerun',
        submittedRunId: 'run-2',
        confirmBy: at(30),
        updatedAt: at(4),
        finishedAt: at(8),
      }),
    );
    expect(steps.map((s) => [s.step, s.by])).toEqual([
      ['detected', 'checker'],
      ['repair_planned', null],
      ['approved', 'alice'],
      ['executed', null],
      ['repair_done', null],
      ['resolved', 'repair'],
    ]);
    expect(steps.find((s) => s.step === 'executed')?.note).toBe('new run run-2');
  });

  it('shows a job waiting for approval and a rejected one with its reason', () => {
    expect(
      findingHistory(finding(), job({ state: 'AWAITING_APPROVAL', updatedAt: at(2) })).map(
        (s) => s.step,
      ),
    ).toEqual(['detected', 'repair_planned', 'awaiting_approval']);
    const rejected = findingHistory(
      finding(),
      job({ state: 'REJECTED', decidedBy: 'bob', decisionReason: 'not now', updatedAt: at(3) }),
    );
    expect(rejected[rejected.length - 1]).toEqual({
      at: at(3).toISOString(),
      step: 'rejected',
      by: 'bob',
      note: 'not now',
    });
  });
});
