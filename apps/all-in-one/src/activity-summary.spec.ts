import type { Scan } from '@bridge/store';
import { formatActivity, formatScan } from './activity-summary';

function scan(fields: Partial<Scan>): Scan {
  return {
    id: 'scan-1',
    trigger: 'schedule',
    mode: 'incremental',
    method: 'listing',
    status: 'completed',
    phase: 'done',
    requestedBy: null,
    holder: 'scanner#1',
    requestedAt: new Date(0),
    startedAt: new Date(0),
    finishedAt: new Date(1_000),
    updatedAt: new Date(1_000),
    graceCutoff: new Date(0),
    checkpoint: null,
    counts: {},
    pages: { cappella: 1, hippo: 1, canon: 0 },
    items: { cappella: 0, hippo: 0, canon: 0 },
    requests: { cappella: 1, hippo: 1, canon: 0 },
    estimatedItems: null,
    errors: [],
    lastError: null,
    ...fields,
  };
}

const noRepairs = {
  PENDING: 0,
  PLANNED: 0,
  AWAITING_APPROVAL: 0,
  EXECUTING: 0,
  DONE: 0,
  FAILED: 0,
  REJECTED: 0,
  EXPIRED: 0,
};

describe('formatActivity', () => {
  it('names each kind of row once, mismatch types by their own name, and how many findings are open', () => {
    const line = formatActivity({
      eventsIn: 12_345,
      findings: [
        { eventType: 'bridge.sync.ok', mismatchType: null, total: 1_200, open: 0 },
        { eventType: 'bridge.sync.mismatch', mismatchType: 'missing_entity', total: 30, open: 28 },
        { eventType: 'bridge.sync.stale_cache', mismatchType: 'stale_cache', total: 4, open: 4 },
        { eventType: 'bridge.sync.check_failed', mismatchType: null, total: 1, open: 1 },
      ],
      repairs: { ...noRepairs, AWAITING_APPROVAL: 2, EXECUTING: 1, DONE: 1_024 },
      latestScan: scan({
        counts: { missing_entity: 2, orphan_provenance: 1 },
        items: { cappella: 1_000, hippo: 10_500, canon: 0 },
      }),
      checksPending: 7,
    });
    expect(line).toBe(
      'events in 12,345 | findings: ok 1,200, missing_entity 30 (28 open), stale_cache 4 (4 open), check_failed 1 (1 open) | repairs: awaiting approval 2, executing 1, done 1,024 | last scan incremental: 3 found in 11,500 read | checks pending 7',
    );
  });

  it('says when there is nothing yet, and leaves out what the transport cannot tell', () => {
    expect(
      formatActivity({
        eventsIn: 0,
        findings: [],
        repairs: noRepairs,
        latestScan: null,
        checksPending: null,
      }),
    ).toBe('events in 0 | findings: none yet | repairs: none yet | scans: none yet');
  });

  it('shows a scan in progress with its share done, and a failed one with its reason', () => {
    const startedAt = new Date(Date.now() - 10_000);
    expect(
      formatScan(
        scan({
          mode: 'full',
          status: 'running',
          phase: 'hippo',
          startedAt,
          finishedAt: null,
          items: { cappella: 100, hippo: 400, canon: 0 },
          estimatedItems: 1_000,
          counts: { dangling_reference: 1 },
        }),
      ),
    ).toBe('scan full: running (500 read, 50%, 1 found)');
    expect(formatScan(scan({ status: 'failed', lastError: 'hippo: circuit open' }))).toBe(
      'last scan incremental: failed (hippo: circuit open)',
    );
  });
});
