import { deriveSeed, seededRandom } from '../faults/seeded-random';
import { planDemoTick, type DemoAction } from './demo-traffic';

function minutes(count: number, ratePerSecond = 5): DemoAction[] {
  const random = seededRandom(deriveSeed(1, 'demo'));
  const actions: DemoAction[] = [];
  for (let tick = 0; tick < count * 60; tick += 1) {
    actions.push(...planDemoTick(random, { ratePerSecond, longLagMs: 12_000 }));
  }
  return actions;
}

describe('planDemoTick', () => {
  it('publishes the configured number of runs per second, mostly clean', () => {
    const runs = minutes(10).filter((a) => a.kind === 'run');
    expect(runs).toHaveLength(10 * 60 * 5);
    const clean = runs.filter((a) => a.kind === 'run' && a.missing === 0 && a.lagMs === 0);
    expect(clean.length / runs.length).toBeGreaterThan(0.7);
  });

  it('mixes in every kind of fault over a few minutes: lost outputs, short and long lag, failed runs, stale caches, outages', () => {
    const actions = minutes(10);
    const runs = actions.flatMap((a) => (a.kind === 'run' ? [a] : []));
    expect(runs.some((a) => a.missing === 1 && a.idempotent)).toBe(true);
    // Some lost outputs belong to a pipeline whose repair needs an operator's approval.
    expect(runs.some((a) => a.missing === 1 && !a.idempotent)).toBe(true);
    // Only runs with something to repair are on pipelines that need approval.
    expect(runs.every((a) => a.missing === 1 || a.lagMs === 12_000 || a.idempotent)).toBe(true);
    expect(runs.some((a) => a.lagMs === 12_000 && !a.idempotent)).toBe(true);
    expect(runs.some((a) => a.lagMs > 0 && a.lagMs < 5_000)).toBe(true);
    expect(runs.some((a) => a.lagMs === 12_000)).toBe(true);
    expect(actions.some((a) => a.kind === 'failed_run')).toBe(true);
    expect(actions.some((a) => a.kind === 'deletion' && a.leaveArtifactsFor > 0)).toBe(true);
    expect(actions.some((a) => a.kind === 'outage')).toBe(true);
    const lost = runs.filter((a) => a.missing === 1).length / runs.length;
    expect(lost).toBeGreaterThan(0.01);
    expect(lost).toBeLessThan(0.06);
  });

  it('produces no runs when the rate is zero', () => {
    expect(minutes(1, 0).filter((a) => a.kind === 'run')).toHaveLength(0);
  });

  it('is repeatable for a seed', () => {
    expect(minutes(2)).toEqual(minutes(2));
  });
});
