import { FaultPlan, type FaultDecision } from './fault-plan';

const decisions = (plan: FaultPlan, count: number, now = 1_000): FaultDecision[] =>
  Array.from({ length: count }, () => plan.decide('hippo', now));

const kinds = (list: FaultDecision[]) => list.map((d) => (d.kind === 'fail' ? d.status : d.kind));

describe('FaultPlan', () => {
  it('passes every request of a component without faults, without delay', () => {
    const plan = new FaultPlan(1);
    plan.set('cappella', { errorRate: 1 });
    expect(new Set(kinds(decisions(plan, 50)))).toEqual(new Set(['pass']));
    expect(plan.decide('hippo', 0)).toEqual({ kind: 'pass', delayMs: 0 });
  });

  it('makes the same decisions for the same seed, and different ones for another seed', () => {
    const faults = { errorRate: 0.3, throttleRate: 0.1, timeoutRate: 0.1 };
    const a = new FaultPlan(42);
    const b = new FaultPlan(42);
    const c = new FaultPlan(43);
    for (const plan of [a, b, c]) plan.set('hippo', faults);
    const first = kinds(decisions(a, 200));
    expect(kinds(decisions(b, 200))).toEqual(first);
    expect(kinds(decisions(c, 200))).not.toEqual(first);
  });

  it('restarts the sequence when the faults are set again', () => {
    const plan = new FaultPlan(7);
    plan.set('hippo', { errorRate: 0.5 });
    const first = kinds(decisions(plan, 100));
    plan.set('hippo', { errorRate: 0.5 });
    expect(kinds(decisions(plan, 100))).toEqual(first);
  });

  it('keeps components independent: Cappella traffic does not shift Hippo decisions', () => {
    const quiet = new FaultPlan(5);
    const busy = new FaultPlan(5);
    for (const plan of [quiet, busy]) {
      plan.set('hippo', { errorRate: 0.5 });
      plan.set('cappella', { errorRate: 0.5 });
    }
    for (let i = 0; i < 37; i += 1) busy.decide('cappella', 0);
    expect(kinds(decisions(busy, 100))).toEqual(kinds(decisions(quiet, 100)));
  });

  it('meets each rate within a few percent over many requests, with 503s and 500s', () => {
    const plan = new FaultPlan(9);
    plan.set('hippo', { errorRate: 0.2, throttleRate: 0.1, timeoutRate: 0.05 });
    const counts = new Map<string | number, number>();
    for (const kind of kinds(decisions(plan, 20_000))) {
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
    }
    const share = (kind: string | number) => (counts.get(kind) ?? 0) / 20_000;
    expect(share(503) + share(500)).toBeCloseTo(0.2, 1);
    expect(share(503)).toBeGreaterThan(0.08);
    expect(share(500)).toBeGreaterThan(0.08);
    expect(share('throttle')).toBeCloseTo(0.1, 1);
    expect(share('hang')).toBeCloseTo(0.05, 1);
    expect(share('pass')).toBeCloseTo(0.65, 1);
  });

  it('answers throttled requests with Retry-After 1 and holds timeouts for 30 s by default', () => {
    const plan = new FaultPlan(1);
    plan.set('hippo', { throttleRate: 1 });
    expect(plan.decide('hippo', 0)).toEqual({ kind: 'throttle', retryAfterSeconds: 1, delayMs: 0 });
    plan.set('hippo', { timeoutRate: 1 });
    expect(plan.decide('hippo', 0)).toEqual({ kind: 'hang', holdMs: 30_000 });
    plan.set('hippo', { timeoutRate: 1, hangMs: 50 });
    expect(plan.decide('hippo', 0)).toEqual({ kind: 'hang', holdMs: 50 });
  });

  it('adds slowMs to answered requests and uses the configured error status', () => {
    const plan = new FaultPlan(1);
    plan.set('canon', { slowMs: 25 });
    expect(plan.decide('canon', 0)).toEqual({ kind: 'pass', delayMs: 25 });
    plan.set('canon', { errorRate: 1, errorStatus: 502, slowMs: 5 });
    expect(plan.decide('canon', 0)).toEqual({
      kind: 'fail',
      status: 502,
      reason: 'error',
      delayMs: 5,
    });
  });

  it('fails exactly the next N requests of an outage bounded by count', () => {
    const plan = new FaultPlan(1);
    plan.set('hippo', { outage: { requests: 3 } });
    expect(kinds(decisions(plan, 5))).toEqual([503, 503, 503, 'pass', 'pass']);
    expect(plan.snapshot().hippo?.outage?.requests).toBe(0);
  });

  it('fails every request until the end of an outage bounded by time', () => {
    const plan = new FaultPlan(1);
    plan.set('hippo', { outage: { status: 500, untilMs: 2_000 } });
    expect(kinds([plan.decide('hippo', 1_000), plan.decide('hippo', 1_999)])).toEqual([500, 500]);
    expect(plan.decide('hippo', 2_000).kind).toBe('pass');
  });

  it('ends an outage with both bounds at whichever comes first', () => {
    const plan = new FaultPlan(1);
    plan.set('hippo', { outage: { requests: 10, untilMs: 2_000 } });
    expect(plan.decide('hippo', 1_000).kind).toBe('fail');
    expect(plan.decide('hippo', 2_500).kind).toBe('pass');
  });

  it('reports the Hippo lag and forgets faults when cleared', () => {
    const plan = new FaultPlan(1);
    plan.set('hippo', { lagMs: 1_500, errorRate: 1 });
    expect(plan.lagMs()).toBe(1_500);
    plan.clear('hippo');
    expect(plan.lagMs()).toBe(0);
    expect(plan.decide('hippo', 0).kind).toBe('pass');
  });

  it('refuses rates that add up to more than one, and unknown fields', () => {
    const plan = new FaultPlan(1);
    expect(() => plan.set('hippo', { errorRate: 0.6, throttleRate: 0.6 })).toThrow(/exceed 1/);
    expect(() => plan.set('hippo', { errorRate: 2 })).toThrow();
    expect(() => plan.set('hippo', { errorRat: 0.1 } as never)).toThrow();
  });
});
