import { checkWorkOf, recordLookupSince, type CheckWork } from './check-work';

const DAY_MS = 86_400_000;

function workMadeAt(occurredAt: number, runId: string): CheckWork {
  return checkWorkOf({
    event_id: `e-${runId}`,
    occurred_at: occurredAt,
    check_type: 'post_run',
    check_key: `post_run:${runId}`,
    source: 'cappella',
    source_event_id: `t-${runId}`,
    source_id: runId,
    run_id: runId,
    pipeline_id: 'pipe-1',
    actor: null,
    entities: [],
    change: null,
    triggered_at: occurredAt,
    attempt: 1,
    not_before: null,
    delay_reason: null,
    last_error: null,
  });
}

describe('recordLookupSince', () => {
  it('starts a day before the oldest work item of the batch was made', () => {
    const made = Date.UTC(2026, 11, 6, 12);
    expect(
      recordLookupSince([workMadeAt(made, 'r-1'), workMadeAt(made - 3 * DAY_MS, 'r-2')]),
    ).toEqual(new Date(made - 4 * DAY_MS));
  });

  it('does not bound an empty batch', () => {
    expect(recordLookupSince([])).toBeUndefined();
  });
});
