import type { ServiceStatusReport } from '@bridge/store';
import { operationsOverview } from './operations-overview';

const now = new Date('2026-12-01T12:00:00Z');

function report(
  instance: string,
  ageMs: number,
  snapshot: Partial<Record<string, unknown>> = {},
  stoppedAt: Date | null = null,
): ServiceStatusReport {
  return {
    instance,
    service: instance.split('#')[0] ?? instance,
    startedAt: new Date(now.getTime() - 3_600_000),
    reportedAt: new Date(now.getTime() - ageMs),
    stoppedAt,
    snapshot: {
      window_ms: 10_000,
      events_per_second: 10,
      dead_letters_per_second: 0,
      checks: { per_second: 4, p50_ms: 20, p95_ms: 80 },
      repairs: { per_second: 0, p50_ms: null, p95_ms: null },
      components: [],
      consumer_lag: [],
      ...snapshot,
    },
  };
}

describe('operationsOverview', () => {
  it('adds up the rates of live processes and shows the slowest latency', () => {
    const overview = operationsOverview(
      [
        report('checker#a', 1_000),
        report('checker#b', 2_000, { checks: { per_second: 6, p50_ms: 30, p95_ms: 120 } }),
        // Silent for a minute: its numbers are stale and left out.
        report('checker#c', 60_000, { checks: { per_second: 100, p50_ms: 1, p95_ms: 1 } }),
      ],
      { findings: 0, repairs: 0 },
      now,
      10_000,
    );
    expect(overview.checks).toEqual({ per_second: 10, p50_ms: 30, p95_ms: 120 });
    expect(overview.services.map((s) => [s.instance, s.status])).toEqual([
      ['checker#a', 'up'],
      ['checker#b', 'up'],
      ['checker#c', 'silent'],
    ]);
  });

  it('shows the worst circuit state any process sees and the group lag once', () => {
    const hippo = (state: string) => ({
      component: 'hippo',
      state,
      requests_per_second: 5,
      errors_per_second: state === 'open' ? 5 : 0,
    });
    const lag = (value: number) => ({
      group: 'bridge-checker',
      topic: 'bridge.internal.checks',
      lag: value,
    });
    const overview = operationsOverview(
      [
        report('checker#a', 1_000, { components: [hippo('closed')], consumer_lag: [lag(40)] }),
        report('repair#a', 1_000, { components: [hippo('open')], consumer_lag: [lag(42)] }),
      ],
      { findings: 3, repairs: 1 },
      now,
      10_000,
    );
    expect(overview.components).toEqual([
      { component: 'hippo', state: 'open', requests_per_second: 10, errors_per_second: 5 },
    ]);
    expect(overview.consumer_lag).toEqual([lag(42)]);
    expect(overview.outbox_backlog).toEqual({ findings: 3, repairs: 1 });
  });

  it('marks a process that stopped on purpose and skips a report it cannot read', () => {
    const overview = operationsOverview(
      [
        report('scanner#a', 1_000, {}, new Date(now.getTime() - 500)),
        { ...report('api#a', 1_000), snapshot: { nonsense: true } },
      ],
      { findings: 0, repairs: 0 },
      now,
      10_000,
    );
    expect(overview.services.map((s) => [s.instance, s.status])).toEqual([
      ['scanner#a', 'stopped'],
    ]);
    expect(overview.checks.per_second).toBe(0);
  });
});
