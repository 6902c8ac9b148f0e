import {
  bulkDoneText,
  bulkPreviewText,
  findingFilterOf,
  instantOfLocalInput,
  isActiveJob,
  isDecidableJob,
  isRetryableJob,
  isSnoozed,
  localInputValue,
  priorityOf,
  repairStrategiesFor,
  SNOOZE_PRESETS,
} from './operator-actions';
import type { BulkOutcome, Finding } from './wire-types';

const outcome = (matched: number, selected: number, acted = 0): BulkOutcome => ({
  action: 'resolve',
  dry_run: acted === 0,
  matched,
  selected,
  acted,
  ids: [],
});

const finding = (overrides: Partial<Finding>): Finding => ({
  id: 'f-1',
  event_type: 'bridge.sync.mismatch',
  mismatch_type: 'missing_entity',
  repair_strategy: 'alert_only',
  source: 'cappella',
  source_id: 'run-1',
  actor: null,
  details: {},
  state: 'open',
  resolved: false,
  resolved_at: null,
  resolved_by: null,
  resolution_note: null,
  created_at: '2026-12-01T08:00:00Z',
  recheck_count: 0,
  last_checked_at: null,
  next_recheck_at: null,
  snoozed_until: null,
  snoozed_by: null,
  snooze_reason: null,
  published: null,
  ...overrides,
});

describe('console operator actions', () => {
  it('offers only the strategies a mismatch type allows, and none for those resolved by hand', () => {
    expect(repairStrategiesFor('missing_entity')).toEqual(['resubmit_run']);
    expect(repairStrategiesFor('partial_output')).toEqual(['resubmit_run']);
    expect(repairStrategiesFor('stale_cache')).toEqual([
      'evict_immediately',
      'evict_on_next_sweep',
    ]);
    expect(repairStrategiesFor('dangling_reference')).toEqual([]);
    expect(repairStrategiesFor('orphan_provenance')).toEqual([]);
    expect(repairStrategiesFor(null)).toEqual([]);
    expect(repairStrategiesFor('toString')).toEqual([]);
  });

  it('knows which jobs can be retried, decided or re-prioritised', () => {
    expect(['FAILED', 'REJECTED', 'EXPIRED', 'DONE'].map(isRetryableJob)).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(['AWAITING_APPROVAL', 'EXPIRED', 'FAILED'].map(isDecidableJob)).toEqual([
      true,
      true,
      false,
    ]);
    expect(
      ['PENDING', 'PLANNED', 'AWAITING_APPROVAL', 'EXECUTING', 'DONE'].map(isActiveJob),
    ).toEqual([true, true, true, true, false]);
  });

  it('tells a snoozed finding from one whose snooze is over or that is closed', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    expect(isSnoozed(finding({ snoozed_until: '2026-12-01T13:00:00Z' }), now)).toBe(true);
    expect(isSnoozed(finding({ snoozed_until: '2026-12-01T11:00:00Z' }), now)).toBe(false);
    expect(isSnoozed(finding({ snoozed_until: null }), now)).toBe(false);
    expect(
      isSnoozed(finding({ state: 'resolved', snoozed_until: '2026-12-01T13:00:00Z' }), now),
    ).toBe(false);
  });

  it('turns a snooze preset into the local time the input shows and back into an instant', () => {
    const now = Date.parse('2026-12-01T12:34:56.789Z');
    expect(SNOOZE_PRESETS.map((preset) => preset.label)).toEqual(['1 h', '1 day', '1 week']);
    const instants = SNOOZE_PRESETS.map((preset) =>
      instantOfLocalInput(localInputValue(now + preset.ms)),
    );
    // To the minute, whatever the time zone the test runs in.
    expect(instants).toEqual([
      '2026-12-01T13:34:00.000Z',
      '2026-12-02T12:34:00.000Z',
      '2026-12-08T12:34:00.000Z',
    ]);
    expect(localInputValue(now)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/);
  });

  it('refuses an input that names no time', () => {
    expect(instantOfLocalInput('')).toBeNull();
    expect(instantOfLocalInput('tomorrow')).toBeNull();
    expect(instantOfLocalInput('2026-13-45T99:99')).toBeNull();
    expect(instantOfLocalInput('2026-12-01T08:00Z')).toBeNull();
  });

  it('filters a bulk action by the list filters that are set, never by status or paging', () => {
    expect(
      findingFilterOf({
        status: 'unresolved',
        mismatch_type: 'dangling_reference',
        source: ' hippo ',
        source_id: '',
        limit: '50',
        cursor: 'abc',
      }),
    ).toEqual({ mismatch_type: 'dangling_reference', source: 'hippo' });
    expect(findingFilterOf({})).toEqual({});
  });

  it('says what a bulk action will do before it acts, and what it did', () => {
    expect(bulkPreviewText('resolve', outcome(3, 3))).toBe(
      'This will resolve 3 of 3 open findings.',
    );
    expect(bulkPreviewText('recheck', outcome(1500, 1000))).toBe(
      'This will re-check 1000 of 1500 open findings (the oldest ones; run it again for the rest).',
    );
    expect(bulkPreviewText('approve', outcome(0, 0))).toBe(
      'No repair jobs match these filters: nothing to approve.',
    );
    expect(bulkDoneText('resolve', outcome(3, 3, 3))).toBe('Resolved 3 open findings.');
    expect(bulkDoneText('reject', outcome(4, 4, 3))).toBe(
      'Rejected 3 repair jobs (1 changed meanwhile and were left alone).',
    );
    expect(bulkDoneText('recheck', outcome(2, 2, 2))).toBe(
      'Asked for a re-check of 2 open findings.',
    );
  });

  it('reads a priority as a whole number within the bounds', () => {
    expect(priorityOf(' 42 ')).toBe(42);
    expect(priorityOf('-7')).toBe(-7);
    expect(priorityOf('1000000')).toBe(1_000_000);
    expect(priorityOf('1000001')).toBeNull();
    expect(priorityOf('1.5')).toBeNull();
    expect(priorityOf('')).toBeNull();
    expect(priorityOf('1e3')).toBeNull();
  });
});
