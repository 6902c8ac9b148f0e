/**
 * The soak's plot: memory of each process and the consumer lag over time, drawn by Chart.js
 * (the console's charting library) in headless Chromium (the browser tests' one, through
 * playwright-core) and saved as a PNG for `docs/`.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chromium } from 'playwright-core';
import type { SoakSample } from './soak-summary';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#7f7f7f'];

/**
 * Writes the plot of `samples` to `file` (PNG), headed `title`: the memory of the `services`,
 * the consumer lag, and on a scale of its own the memory of the `others` (the simulator, whose
 * growth would flatten the services' lines).
 */
export async function renderSoakPlot(
  samples: readonly SoakSample[],
  processes: { services: readonly string[]; others: readonly string[] },
  title: string,
  file: string,
): Promise<void> {
  const minutes = samples.map((s) => +(s.atMs / 60_000).toFixed(2));
  const memoryOf = (names: readonly string[], offset: number) =>
    names.map((name, i) => ({
      label: name,
      data: samples.map((s) => s.rssMiB[name] ?? null),
      borderColor: COLOURS[(i + offset) % COLOURS.length],
      pointRadius: 0,
      borderWidth: 2,
    }));
  const memory = memoryOf(processes.services, 0);
  const others = memoryOf(processes.others, processes.services.length);
  const lag = [
    {
      label: 'consumer lag (all groups)',
      data: samples.map((s) => s.lag),
      borderColor: '#d62728',
      pointRadius: 0,
      borderWidth: 2,
    },
  ];
  // The package exports only its module builds; the browser bundle sits beside them.
  const chartJs = readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.js'), 'utf8');
  const html = `<!doctype html><html><head><meta charset="utf-8"><style>
    body { font-family: sans-serif; margin: 16px; background: #fff; }
    h1 { font-size: 18px; margin: 0 0 8px; } .chart { width: 1100px; height: 300px; }
    .small { height: 200px; }
  </style><script>${chartJs}</script></head><body>
  <h1>${escapeHtml(title)}</h1>
  <div class="chart"><canvas id="memory"></canvas></div>
  <div class="chart"><canvas id="lag"></canvas></div>
  <div class="chart small"><canvas id="others"></canvas></div>
  <script>
    const axes = (y) => ({
      x: { type: 'linear', title: { display: true, text: 'minutes' } },
      y: { beginAtZero: true, title: { display: true, text: y } },
    });
    const chart = (id, datasets, y) => new Chart(document.getElementById(id), {
      type: 'line',
      data: { labels: ${JSON.stringify(minutes)}, datasets },
      options: { animation: false, responsive: true, maintainAspectRatio: false,
        parsing: true, scales: axes(y), plugins: { legend: { position: 'top' } } },
    });
    const xy = (datasets) => datasets.map((d) => ({ ...d,
      data: d.data.map((v, i) => ({ x: ${JSON.stringify(minutes)}[i], y: v })) }));
    chart('memory', xy(${JSON.stringify(memory)}), 'resident memory (MiB)');
    chart('lag', xy(${JSON.stringify(lag)}), 'messages not yet finished');
    chart('others', xy(${JSON.stringify(others)}), 'MiB (whole world in memory)');
    document.body.dataset.ready = 'yes';
  </script></body></html>`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1160, height: 900 } });
    await page.setContent(html);
    await page.waitForSelector('body[data-ready="yes"]');
    await page.screenshot({ path: file, fullPage: true });
  } finally {
    await browser.close();
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
