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
