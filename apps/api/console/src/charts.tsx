/**
 * Charts of the overview (Chart.js, bundled): findings per hour stacked by kind, and open
 * mismatches by type. The canvas is redrawn in place when new data comes in.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

const PALETTE = ['#2f6fde', '#d9534f', '#f0ad4e', '#5cb85c', '#8e6cc7', '#20a4a8', '#999999'];

export interface Series {
  label: string;
  values: number[];
}

export function BarChart({
  labels,
  series,
  stacked,
  testId,
}: {
  labels: string[];
  series: Series[];
  stacked: boolean;
  testId: string;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'bar'> | null>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const data = {
      labels,
      datasets: series.map((s, i) => ({
        label: s.label,
        data: s.values,
        backgroundColor: PALETTE[i % PALETTE.length],
      })),
    };
    if (chart.current) {
      chart.current.data = data;
      chart.current.update('none');
      return;
    }
    const config: ChartConfiguration<'bar'> = {
      type: 'bar',
      data,
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { x: { stacked }, y: { stacked, beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { legend: { position: 'bottom' } },
      },
    };
    chart.current = new Chart(canvas.current, config);
  }, [labels.join('|'), JSON.stringify(series)]);
  useEffect(() => () => chart.current?.destroy(), []);
  return (
    <div class="chart" data-testid={testId}>
      <canvas ref={canvas} />
    </div>
  );
}
