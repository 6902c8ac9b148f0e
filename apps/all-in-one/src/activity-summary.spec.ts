import { formatActivity } from './activity-summary';

const noRepairs = {
  PENDING: 0,
  PLANNED: 0,
  AWAITING_APPROVAL: 0,
  EXECUTING: 0,
  DONE: 0,
  FAILED: 0,
  REJECTED: 0,
};

describe('formatActivity', () => {
  it('names each kind of finding once, mismatch types by their own name, open ones when some were resolved', () => {
    const line = formatActivity({
      eventsIn: 12_345,
      findings: [
        { eventType: 'bridge.sync.ok', mismatchType: null, total: 1_200, open: 1_200 },
        { eventType: 'bridge.sync.mismatch', mismatchType: 'missing_entity', total: 30, open: 28 },
        { eventType: 'bridge.sync.stale_cache', mismatchType: 'stale_cache', total: 4, open: 4 },
        { eventType: 'bridge.sync.check_failed', mismatchType: null, total: 1, open: 1 },
      ],
      repairs: { ...noRepairs, AWAITING_APPROVAL: 2, EXECUTING: 1, DONE: 1_024 },
      checksPending: 7,
    });
    expect(line).toBe(
      'events in 12,345 | findings: ok 1,200, missing_entity 30 (28 open), stale_cache 4, check_failed 1 | repairs: awaiting approval 2, executing 1, done 1,024 | checks pending 7',
    );
  });

  it('says when there is nothing yet, and leaves out what the transport cannot tell', () => {
    expect(
      formatActivity({ eventsIn: 0, findings: [], repairs: noRepairs, checksPending: null }),
    ).toBe('events in 0 | findings: none yet | repairs: none yet');
  });
});
