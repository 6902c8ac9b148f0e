/**
 * The alerting rules and the dashboard in deploy/ name only metrics Bridge exports: a rule or
 * a panel on a renamed or removed metric would otherwise go quiet without anyone noticing (an
 * absent series never fires). Names are read from the files as text, so every expression
 * counts, and checked against the registry every Bridge process exposes.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { metricsRegistry } from '@bridge/metrics';

const ROOT = join(__dirname, '..', '..');
const HISTOGRAM_SERIES = /_(bucket|sum|count)$/;

/** The metric names the registry exposes, histograms with the series Prometheus derives. */
function exportedNames(): Set<string> {
  const names = new Set<string>();
  for (const metric of metricsRegistry.getMetricsAsArray()) {
    names.add(metric.name);
    // prom-client's metric types are an enum of these strings.
    if (['histogram', 'summary'].includes(String(metric.type))) {
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
    }
  }
  return names;
}

/** Every `bridge_…` series a text names (recording rules' own `bridge:…` names are not). */
function namedMetrics(text: string): Set<string> {
  return new Set(text.match(/\bbridge_[a-z0-9_]+/g) ?? []);
}

function filesIn(dir: string, pattern: RegExp): string[] {
  return readdirSync(join(ROOT, dir))
    .filter((name) => pattern.test(name))
    .map((name) => join(dir, name));
}

describe('deploy/ names only exported metrics', () => {
  const exported = exportedNames();
  const files = [
    ...filesIn('deploy/prometheus', /\.rules\.yml$/),
    ...filesIn('deploy/grafana', /\.dashboard\.json$/),
  ];

  it('has rules and a dashboard to check', () => {
    expect(files.some((file) => file.endsWith('.rules.yml'))).toBe(true);
    expect(files.some((file) => file.endsWith('.dashboard.json'))).toBe(true);
  });

  it.each(files)('%s', (file) => {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const unknown = [...namedMetrics(text)].filter(
      (name) => !exported.has(name) && !exported.has(name.replace(HISTOGRAM_SERIES, '')),
    );
    expect(unknown).toEqual([]);
  });

  it('gives every alert a severity, a summary and a runbook', () => {
    const rules = parse(
      readFileSync(join(ROOT, 'deploy/prometheus/bridge-sync.rules.yml'), 'utf8'),
    ) as { groups: Array<{ rules: Array<Record<string, unknown>> }> };
    const alerts = rules.groups.flatMap((group) => group.rules).filter((rule) => rule.alert);
    expect(alerts.length).toBeGreaterThanOrEqual(8);
    for (const alert of alerts) {
      expect(alert).toMatchObject({
        labels: { severity: expect.stringMatching(/^(page|ticket)$/) },
        annotations: { summary: expect.any(String), runbook_url: expect.any(String) },
      });
    }
  });
});
