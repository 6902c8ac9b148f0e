import { ago, asJson, count, duration, millis, percent } from './format';

describe('console formatting', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');

  it('says how long ago, and gives the date past a day', () => {
    expect(ago('2026-12-01T11:59:48Z', now)).toBe('12 s ago');
    expect(ago('2026-12-01T09:55:00Z', now)).toBe('2 h 5 min ago');
    expect(ago('2026-11-28T08:30:00Z', now)).toBe('2026-11-28 08:30');
    expect(ago('2026-12-01T12:03:00Z', now)).toBe('in 3 min');
    expect(ago(null, now)).toBe('—');
  });

  it('writes counts, latencies, shares and JSON', () => {
    expect(count(12345.678)).toBe('12,345.68');
    expect(millis(null)).toBe('—');
    expect(millis(95.5)).toBe('95.5 ms');
    expect(percent(0.257)).toBe('26 %');
    expect(duration(7200)).toBe('2 h');
    expect(asJson({ a: '<b>' })).toBe('{\n  "a": "<b>"\n}');
  });
});
