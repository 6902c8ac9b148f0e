/**
 * Scans: the latest one with its progress and estimated completion while it runs, the history,
 * and (admin) buttons asking for an incremental or a full scan.
 */
import { useState } from 'preact/hooks';
import type { Scan } from '../wire-types';
import { ago, count, failureText, percent } from '../format';
import { useLive } from '../live';
import { hashOf } from '../routes';
import type { Session } from '../session';
import { Badge, Card, ErrorNote } from '../widgets';

export function ScansPage({ session }: { session: Session }) {
  const live = useLive(() => session.api.scans(), [], 2_000);
  const [error, setError] = useState<string | null>(null);
  const request = (mode: 'incremental' | 'full') => {
    setError(null);
    session.api
      .requestScan(mode)
      .then(() => live.reload())
      .catch((failure: unknown) => setError(failureText(failure)));
  };
  const scans = live.data?.items ?? [];
  const latest = scans[0];
  return (
    <div>
      <ErrorNote error={live.error ?? error} />
      {session.role === 'admin' ? (
        <p class="actions">
          <button
            type="button"
            data-testid="scan-incremental"
            onClick={() => request('incremental')}
          >
            Run an incremental scan
          </button>
          <button type="button" data-testid="scan-full" onClick={() => request('full')}>
            Run a full scan
          </button>
        </p>
      ) : null}
      {latest ? <LatestScan scan={latest} /> : <p class="hint">No scan has run yet.</p>}
      <Card title="History">
        <div class="scroll">
          <table class="list">
            <thead>
              <tr>
                <th>requested</th>
                <th>mode</th>
                <th>trigger</th>
                <th>status</th>
                <th>read</th>
                <th>findings</th>
              </tr>
            </thead>
            <tbody>
              {scans.map((scan) => (
                <tr key={scan.id}>
                  <td>{ago(scan.requested_at)}</td>
                  <td>{scan.mode}</td>
                  <td>{scan.trigger}</td>
                  <td>
                    <Badge value={scan.status} />
                  </td>
                  <td>{count(scan.progress.items_read)}</td>
                  <td>
                    <a href={findingsOf(scan)} data-testid="scan-findings">
                      {count(Object.values(scan.counts).reduce((sum, n) => sum + n, 0))}
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
    </div>
  );
}

function LatestScan({ scan }: { scan: Scan }) {
  const running =
    scan.status === 'running' || scan.status === 'requested' || scan.status === 'paused';
  const fraction = scan.status === 'completed' ? 1 : scan.progress.fraction;
  return (
    <Card title={`Latest scan · ${scan.mode}`}>
      <div data-testid="latest-scan" data-status={scan.status}>
        <p>
          <Badge value={scan.status} /> {scan.phase} · requested {ago(scan.requested_at)}
          {scan.requested_by ? ` by ${scan.requested_by}` : ''}
        </p>
        <progress max={1} value={fraction ?? undefined} aria-label="scan progress" />
        <p data-testid="scan-progress">
          {count(scan.progress.items_read)} items read · {percent(fraction)}
          {running && scan.progress.estimated_completion_at
            ? ` · done ${ago(scan.progress.estimated_completion_at)}`
            : ''}
          {scan.finished_at ? ` · finished ${ago(scan.finished_at)}` : ''}
        </p>
        <p>
          <a href={findingsOf(scan)} data-testid="latest-scan-findings">
            findings
          </a>
          :{' '}
          {Object.entries(scan.counts)
            .map(([type, n]) => `${type} ${n}`)
            .join(', ') || 'none'}
        </p>
        {scan.last_error ? <p class="error">{scan.last_error}</p> : null}
      </div>
    </Card>
  );
}

/** The Findings page showing every finding this scan made, open or closed. */
function findingsOf(scan: Scan): string {
  return hashOf({ page: 'findings', params: { scan_id: scan.id, status: 'all' } });
}
