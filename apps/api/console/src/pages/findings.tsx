/**
 * The findings: the sync event log with every filter of `GET /events` (kept in the address,
 * so a filtered list can be shared), newest first, more on demand; and one finding with its
 * details, its history and, for an admin, the resolve action.
 */
import { useState } from 'preact/hooks';
import type { Finding, Page } from '../wire-types';
import { ago } from '../format';
import { useLive } from '../live';
import { hashOf } from '../routes';
import type { Session } from '../session';
import { Badge, Card, ErrorNote, FilterForm, Json, ReasonAction } from '../widgets';

const EVENT_TYPES = [
  'bridge.sync.mismatch',
  'bridge.sync.stale_cache',
  'bridge.sync.ok',
  'bridge.sync.cache_clean',
  'bridge.sync.check_failed',
  'cappella.reconciliation.completed',
  'hippo.ingest.batch_completed',
  'canon.cache.evicted',
];
const MISMATCH_TYPES = [
  'missing_entity',
  'partial_output',
  'stale_cache',
  'dangling_reference',
  'orphan_provenance',
];
const FILTERS = [
  { name: 'status', label: 'status', options: ['unresolved', 'resolved', 'all'] },
  { name: 'event_type', label: 'event type', options: EVENT_TYPES },
  { name: 'mismatch_type', label: 'mismatch type', options: MISMATCH_TYPES },
  { name: 'source', label: 'source', options: ['cappella', 'hippo', 'canon'] },
  { name: 'source_id', label: 'source id' },
  { name: 'scan_id', label: 'scan id' },
  { name: 'since', label: 'since (ISO 8601)' },
  { name: 'until', label: 'until (ISO 8601)' },
];

export function FindingsPage({
  session,
  params,
}: {
  session: Session;
  params: Record<string, string>;
}) {
  const [more, setMore] = useState<Finding[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const key = JSON.stringify(params);
  const live = useLive<Page<Finding>>(
    () => {
      setMore([]);
      setCursor(undefined);
      return session.api.findings({ limit: '50', ...params });
    },
    [key],
    10_000,
  );
  const next = cursor === undefined ? (live.data?.next_cursor ?? null) : cursor;
  const loadMore = () => {
    if (!next) return;
    session.api
      .findings({ limit: '50', ...params, cursor: next })
      .then((page) => {
        setMore([...more, ...page.items]);
        setCursor(page.next_cursor ?? null);
      })
      .catch(() => undefined);
  };
  const rows = [...(live.data?.items ?? []), ...more];
  return (
    <div>
      <FilterForm
        key={key}
        fields={FILTERS}
        values={params}
        apply={(values) => {
          location.hash = hashOf({ page: 'findings', params: values });
        }}
      />
      <ErrorNote error={live.error} />
      <div class="scroll">
        <table class="list" data-testid="findings">
          <thead>
            <tr>
              <th>detected</th>
              <th>kind</th>
              <th>source</th>
              <th>source id</th>
              <th>status</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((finding) => (
              <tr key={finding.id} data-testid="finding-row">
                <td>{ago(finding.created_at)}</td>
                <td>
                  <a href={hashOf({ page: 'finding', id: finding.id, params: {} })}>
                    {finding.mismatch_type ?? finding.event_type.replace('bridge.sync.', '')}
                  </a>
                </td>
                <td>{finding.source}</td>
                <td class="id">{finding.source_id}</td>
                <td>
                  <Badge value={finding.state === 'record' ? 'ok' : finding.state} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {live.data && rows.length === 0 ? <p class="hint">Nothing matches these filters.</p> : null}
      {next ? (
        <button type="button" onClick={loadMore}>
          More
        </button>
      ) : null}
    </div>
  );
}

export function FindingPage({ session, id }: { session: Session; id: string }) {
  const live = useLive(() => session.api.history(id), [id]);
  if (!live.data) return live.error ? <ErrorNote error={live.error} /> : <p>Loading…</p>;
  const { event, repair, steps } = live.data;
  return (
    <div class="detail" data-testid="finding-detail">
      <Card title={event.mismatch_type ?? event.event_type}>
        <dl>
          <dt>id</dt>
          <dd class="id">{event.id}</dd>
          <dt>source</dt>
          <dd>{event.source}</dd>
          <dt>source id</dt>
          <dd class="id" data-testid="source-id">
            {event.source_id}
          </dd>
          <dt>strategy</dt>
          <dd>{event.repair_strategy ?? '—'}</dd>
          <dt>status</dt>
          <dd data-testid="finding-status">
            <Badge value={event.state === 'record' ? 'ok' : event.state} />
            {event.resolved
              ? ` by ${event.resolved_by ?? '?'}: ${event.resolution_note ?? ''}`
              : ''}
          </dd>
        </dl>
        <h3>Details</h3>
        <Json value={event.details} />
      </Card>
      <Card title="History">
        <ol class="timeline" data-testid="history">
          {steps.map((step) => (
            <li key={`${step.step}-${step.at}`}>
              <strong>{step.step.replace(/_/g, ' ')}</strong> {ago(step.at)}
              {step.by ? ` by ${step.by}` : ''}
              {step.note ? ` — ${step.note}` : ''}
            </li>
          ))}
        </ol>
        {repair ? (
          <p class="hint">
            repair job <span class="id">{repair.id}</span>: <Badge value={repair.state} />
          </p>
        ) : null}
      </Card>
      {session.role === 'admin' && !event.resolved && event.mismatch_type ? (
        <Card title="Resolve">
          <ReasonAction
            testId="resolve"
            label="Resolve"
            placeholder="why it is resolved"
            required
            act={async (reason) => {
              await session.api.resolve(event.id, reason);
              live.reload();
            }}
          />
        </Card>
      ) : null}
    </div>
  );
}
