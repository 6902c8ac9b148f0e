import { ScrapedGauge, metricsRegistry } from './bridge-metrics';

async function scrape(name: string): Promise<string[]> {
  const text = await metricsRegistry.metrics();
  return text.split('\n').filter((line) => line.startsWith(name));
}

describe('ScrapedGauge', () => {
  it('reads every source at scrape time and forgets a removed one', async () => {
    const gauge = new ScrapedGauge('test_scraped_queue', 'test', ['queue'] as const);
    let depth = 3;
    gauge.addSource(() => [{ labels: { queue: 'a' }, value: depth }]);
    const remove = gauge.addSource(() => Promise.resolve([{ labels: { queue: 'b' }, value: 7 }]));

    expect(await scrape('test_scraped_queue')).toEqual([
      'test_scraped_queue{queue="a"} 3',
      'test_scraped_queue{queue="b"} 7',
    ]);
    depth = 0;
    remove();
    expect(await scrape('test_scraped_queue')).toEqual(['test_scraped_queue{queue="a"} 0']);
  });

  it('leaves out a failing source, counts it, and still serves the others', async () => {
    const gauge = new ScrapedGauge('test_scraped_mixed', 'test', ['part'] as const);
    gauge.addSource(() => [{ labels: { part: 'fine' }, value: 1 }]);
    gauge.addSource(() => Promise.reject(new Error('broker down')));

    expect(await scrape('test_scraped_mixed')).toEqual(['test_scraped_mixed{part="fine"} 1']);
    expect(
      await scrape('bridge_metric_source_failures_total{metric="test_scraped_mixed"}'),
    ).toEqual(['bridge_metric_source_failures_total{metric="test_scraped_mixed"} 1']);
  });
});

describe('ScrapedGauge with several sources of one series', () => {
  it('shows the largest value, so one open circuit is not hidden by a closed one', async () => {
    const gauge = new ScrapedGauge('test_scraped_merged', 'test', ['state'] as const);
    gauge.addSource(() => [{ labels: { state: 'open' }, value: 0 }]);
    gauge.addSource(() => [{ labels: { state: 'open' }, value: 1 }]);
    expect(await scrape('test_scraped_merged')).toEqual(['test_scraped_merged{state="open"} 1']);
  });

  it('does not ask a source again while its earlier read is still running', async () => {
    const gauge = new ScrapedGauge('test_scraped_busy', 'test', ['part'] as const);
    let reads = 0;
    let finish: (samples: Array<{ labels: { part: string }; value: number }>) => void = () => {};
    gauge.addSource(() => {
      reads += 1;
      return new Promise((resolve) => {
        finish = resolve;
      });
    });
    const first = scrape('test_scraped_busy');
    while (reads === 0) await new Promise((resolve) => setImmediate(resolve));
    const second = scrape('test_scraped_busy');
    await new Promise((resolve) => setImmediate(resolve));
    finish([{ labels: { part: 'x' }, value: 5 }]);
    expect(await first).toEqual(['test_scraped_busy{part="x"} 5']);
    expect(await second).toEqual(['test_scraped_busy{part="x"} 5']);
    expect(reads).toBe(1);
  });
});
