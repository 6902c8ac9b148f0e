/**
 * The overview: open mismatches by type and source, findings per hour (last 24 h), check and
 * repair throughput and latency, consumer lag, outbox backlog, components and their circuit
 * breakers, and the service processes reporting.
 */
import { BarChart } from '../charts';
import { ago, count, millis } from '../format';
import { useLive } from '../live';
import type { Session } from '../session';
import { Badge, Card, ErrorNote, Stat } from '../widgets';

export function OverviewPage({ session }: { session: Session }) {
  const { data, error } = useLive(
    () =>
      Promise.all([
        session.api.openMismatches(),
        session.api.findingsPerHour(),
        session.api.operations(),
      ]),
    [],
  );
  if (!data) return error ? <ErrorNote error={error} /> : <p>Loading…</p>;
  const [open, perHour, operations] = data;
  const openTotal = open.items.reduce((sum, row) => sum + row.open, 0);
  const types = [...new Set(open.items.map((row) => row.mismatch_type))].sort();
  const sources = [...new Set(open.items.map((row) => row.source))].sort();
  const hours = [...new Set(perHour.items.map((row) => row.hour))].sort();
  const kinds = [
    ...new Set(
      perHour.items.map((row) => row.mismatch_type ?? row.event_type.replace('bridge.sync.', '')),
    ),
  ].sort();
  // Busiest first; caught-up pairs are only counted, so what is behind stands out.
  const lagging = operations.consumer_lag
    .filter((row) => row.lag > 0)
    .sort((a, b) => b.lag - a.lag);
  const caughtUp = operations.consumer_lag.length - lagging.length;
  const kindOf = (row: { event_type: string; mismatch_type: string | null }) =>
    row.mismatch_type ?? row.event_type.replace('bridge.sync.', '');
  return (
    <div class="overview">
      <ErrorNote error={error} />
      <div class="stats">
        <Stat label="open mismatches" value={count(openTotal)} testId="open-total" />
        <Stat label="checks / s" value={count(operations.checks.per_second)} testId="checks-rate" />
        <Stat label="check p95" value={millis(operations.checks.p95_ms)} />
        <Stat label="repairs / s" value={count(operations.repairs.per_second)} />
        <Stat
          label="outbox backlog"
          value={count(operations.outbox_backlog.findings + operations.outbox_backlog.repairs)}
          testId="outbox"
        />
        <Stat
          label="consumer lag"
          value={count(operations.consumer_lag.reduce((sum, row) => sum + row.lag, 0))}
          testId="lag-total"
        />
      </div>
      <div class="grid">
        <Card title="Open mismatches by type">
          <BarChart
            testId="open-chart"
            labels={types}
            stacked
            series={sources.map((source) => ({
              label: source,
              values: types.map(
                (type) =>
                  open.items.find((row) => row.mismatch_type === type && row.source === source)
                    ?.open ?? 0,
              ),
            }))}
          />
        </Card>
        <Card title="Findings per hour (24 h)">
          <BarChart
            testId="hourly-chart"
            labels={hours.map((hour) => hour.slice(11, 16))}
            stacked
            series={kinds.map((kind) => ({
              label: kind,
              values: hours.map((hour) =>
                perHour.items
                  .filter((row) => row.hour === hour && kindOf(row) === kind)
                  .reduce((sum, row) => sum + row.count, 0),
              ),
            }))}
          />
        </Card>
        <Card title="Components">
          <table>
            <thead>
              <tr>
                <th>component</th>
                <th>circuit</th>
                <th>requests / s</th>
                <th>errors / s</th>
              </tr>
            </thead>
            <tbody>
              {operations.components.map((row) => (
                <tr key={row.component} data-testid={`component-${row.component}`}>
                  <td>{row.component}</td>
                  <td>
                    <Badge value={row.state} />
                  </td>
                  <td>{count(row.requests_per_second)}</td>
                  <td>{count(row.errors_per_second)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="hint">
            checks p50 {millis(operations.checks.p50_ms)} · repairs p95{' '}
            {millis(operations.repairs.p95_ms)}
          </p>
        </Card>
        <Card title="Consumer lag">
          <table>
            <thead>
              <tr>
                <th>group</th>
                <th>topic</th>
                <th>lag</th>
              </tr>
            </thead>
            <tbody>
              {lagging.map((row) => (
                <tr key={`${row.group}/${row.topic}`}>
                  <td>{row.group}</td>
                  <td>{row.topic}</td>
                  <td>{count(row.lag)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="hint">
            {caughtUp === 0
              ? 'every group shown is behind'
              : `${caughtUp} group/topic pair(s) caught up${lagging.length === 0 ? ': nothing waiting' : ''}`}
          </p>
        </Card>
        <Card title="Open mismatches by source">
          <table>
            <thead>
              <tr>
                <th>type</th>
                <th>source</th>
                <th>open</th>
              </tr>
            </thead>
            <tbody>
              {open.items.map((row) => (
                <tr key={`${row.mismatch_type}/${row.source}`}>
                  <td>
                    <a
                      href={`#/findings?status=unresolved&mismatch_type=${encodeURIComponent(row.mismatch_type)}&source=${encodeURIComponent(row.source)}`}
                    >
                      {row.mismatch_type}
                    </a>
                  </td>
                  <td>{row.source}</td>
                  <td>{count(row.open)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
        <Card title="Services">
          <table>
            <thead>
              <tr>
                <th>process</th>
                <th>status</th>
                <th>events / s</th>
                <th>reported</th>
              </tr>
            </thead>
            <tbody>
              {operations.services.map((row) => (
                <tr key={row.instance}>
                  <td>{row.instance}</td>
                  <td>
                    <Badge value={row.status} />
                  </td>
                  <td>{count(row.events_per_second)}</td>
                  <td>{ago(row.reported_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      </div>
    </div>
  );
}
