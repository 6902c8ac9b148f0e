import {
  type AuditEntry,
  type RepairJob,
  type SyncEvent,
  type SyncEventCommon,
} from '@bridge/store';
import { sampleMismatchFinding, sampleStoredEvent } from '@bridge/store/testing';
import { findingHistory } from './finding-history';

const at = (minute: number) => new Date(Date.UTC(2026, 11, 1, 12, minute));

function finding(overrides: Partial<SyncEventCommon> = {}): SyncEvent {
  return sampleStoredEvent(sampleMismatchFinding('run-1', { repairStrategy: 'resubmit_run' }), {
    id: 'f-1',
    actor: 'checker',
    createdAt: at(0),
    ...overrides,
  });
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
    expect(findingHistory(finding(), [])).toEqual([
      { at: at(0).toISOString(), step: 'detected', by: 'checker', note: null },
    ]);
  });

  it('follows an approved resubmission to its confirmation and the resolution', () => {
    const steps = findingHistory(
      finding({ state: 'resolved', resolved: true, resolvedAt: at(9), resolvedBy: 'repair' }),
      [
        job({
          state: 'DONE',
          decidedBy: 'alice',
          decisionReason: 'pipeline is safe to rerun',
          submittedRunId: 'run-2',
          confirmBy: at(30),
          updatedAt: at(4),
          finishedAt: at(8),
        }),
      ],
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
      findingHistory(finding(), [job({ state: 'AWAITING_APPROVAL', updatedAt: at(2) })]).map(
        (s) => s.step,
      ),
    ).toEqual(['detected', 'repair_planned', 'awaiting_approval']);
    const rejected = findingHistory(finding(), [
      job({ state: 'REJECTED', decidedBy: 'bob', decisionReason: 'not now', updatedAt: at(3) }),
    ]);
    expect(rejected[rejected.length - 1]).toEqual({
      at: at(3).toISOString(),
      step: 'rejected',
      by: 'bob',
      note: 'not now',
      job_id: 'j-1',
    });
  });

  it('tells a retried repair, the re-checks, an operator action and the healing in order', () => {
    const failed = job({ state: 'FAILED', lastError: 'bad inputs', finishedAt: at(2) });
    const retry = job({
      id: 'j-2',
      createdAt: at(3),
      updatedAt: at(3),
      state: 'EXPIRED',
      finishedAt: at(5),
      requestedBy: 'carol',
      retryOf: 'j-1',
    });
    const audit: AuditEntry[] = [
      {
        id: 'a-1',
        at: at(3),
        actor: 'carol',
        role: 'admin',
        action: 'retry',
        objectType: 'repair_job',
        objectId: 'j-1',
        reason: null,
        clientAddress: null,
        outcome: 'ok',
        details: {},
      },
      {
        id: 'a-2',
        at: at(6),
        actor: 'dave',
        role: 'admin',
        action: 'recheck',
        objectType: 'sync_event',
        objectId: 'f-1',
        reason: 'Hippo restored',
        clientAddress: null,
        outcome: 'ok',
        details: {},
      },
    ];
    const steps = findingHistory(
      finding({
        state: 'healed',
        resolved: true,
        resolvedAt: at(7),
        resolvedBy: 'bridge',
        resolutionNote: 'Hippo now has the missing entity',
        recheckCount: 3,
        lastCheckedAt: at(7),
      }),
      [failed, retry],
      audit,
    );
    expect(steps.map((s) => [s.step, s.by, s.job_id ?? null])).toEqual([
      ['detected', 'checker', null],
      ['repair_planned', null, 'j-1'],
      ['repair_failed', null, 'j-1'],
      ['repair_planned', 'carol', 'j-2'],
      ['operator_action', 'carol', 'j-1'],
      ['expired', null, 'j-2'],
      ['operator_action', 'dave', null],
      ['healed', 'bridge', null],
    ]);
    expect(steps.find((s) => s.step === 'operator_action' && s.by === 'dave')?.note).toBe(
      'recheck: Hippo restored',
    );
    expect(steps.at(-1)?.note).toBe('Hippo now has the missing entity');
  });
});
