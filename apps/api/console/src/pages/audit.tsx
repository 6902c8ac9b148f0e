/**
 * The audit log (admins): every admin action, the refused ones too, newest first, filtered like
 * `GET /audit` (the filters kept in the address), more on demand. Unlike the live pages it
 * loads when asked (the filters change, Refresh, More) rather than on a timer: a timer would
 * replace the first page under pages already loaded after it, leaving a gap between them.
 */
import { useEffect, useState } from 'preact/hooks';
import type { AuditEntry } from '../wire-types';
import { ago, failureText } from '../format';
import { hashOf } from '../routes';
import type { Session } from '../session';
import { Badge, ErrorNote, FilterForm, Json } from '../widgets';

const PAGE_SIZE = '50';

const FILTERS = [
  { name: 'actor', label: 'actor' },
  {
    name: 'action',
    label: 'action',
    options: ['resolve', 'approve', 'reject', 'requeue', 'requeue_many', 'scan_request'],
  },
  {
    name: 'object_type',
    label: 'object type',
    options: ['sync_event', 'repair_job', 'dead_letter', 'scan'],
  },
  { name: 'object_id', label: 'object id' },
  { name: 'since', label: 'since (ISO 8601)' },
  { name: 'until', label: 'until (ISO 8601)' },
];

export function AuditPage({
  session,
  params,
}: {
  session: Session;
  params: Record<string, string>;
}) {
  const key = JSON.stringify(params);
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Bumped by Refresh; an answer for older filters or an older refresh is dropped.
  const [generation, setGeneration] = useState(0);

  useEffect(() => {
    let current = true;
    setEntries(null);
    setError(null);
    session.api
      .audit({ limit: PAGE_SIZE, ...params })
      .then((page) => {
        if (!current) return;
        setEntries(page.items);
        setNext(page.next_cursor ?? null);
      })
      .catch((failure: unknown) => {
        if (current) setError(failureText(failure));
      });
    return () => {
      current = false;
    };
  }, [key, generation]);

  const loadMore = () => {
    if (!next || !entries) return;
    session.api
      .audit({ limit: PAGE_SIZE, ...params, cursor: next })
      .then((page) => {
        setEntries([...entries, ...page.items]);
        setNext(page.next_cursor ?? null);
      })
      .catch((failure: unknown) => setError(failureText(failure)));
  };

  return (
    <div>
      <FilterForm
        key={key}
        fields={FILTERS}
        values={params}
        apply={(values) => {
          location.hash = hashOf({ page: 'audit', params: values });
        }}
      />
      <p class="actions">
        <button type="button" onClick={() => setGeneration(generation + 1)}>
          Refresh
        </button>
      </p>
      <ErrorNote error={error} />
      <div class="scroll">
        <table class="list" data-testid="audit">
          <thead>
            <tr>
              <th>when</th>
              <th>who</th>
              <th>action</th>
              <th>object</th>
              <th>outcome</th>
              <th>reason</th>
              <th>from</th>
              <th>details</th>
            </tr>
          </thead>
          <tbody>
            {(entries ?? []).map((entry) => (
              <tr key={entry.id} data-testid="audit-row">
                <td title={entry.at}>{ago(entry.at)}</td>
                <td>
                  {entry.actor} ({entry.role})
                </td>
                <td>{entry.action}</td>
                <td class="id">
                  {entry.object_type}
                  {entry.object_id ? ` ${entry.object_id}` : ''}
                </td>
                <td>
                  <Badge value={entry.outcome} />
                </td>
                <td class="reason">{entry.reason ?? ''}</td>
                <td>{entry.client_address ?? '—'}</td>
                <td>
                  {Object.keys(entry.details).length > 0 ? (
                    <details>
                      <summary>show</summary>
                      <Json value={entry.details} />
                    </details>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {entries && entries.length === 0 ? <p class="hint">No admin action matches.</p> : null}
      {next ? (
        <button type="button" data-testid="audit-more" onClick={loadMore}>
          More
        </button>
      ) : null}
    </div>
  );
}
