/**
 * The findings: the sync event log with every filter of `GET /events` (kept in the address,
 * so a filtered list can be shared), newest first, more on demand, in views by status (open,
 * snoozed, resolved, all), with, for an admin, resolve and re-check of every open finding the
 * filters select (previewed, then confirmed); and one finding with its details, re-checks,
 * snooze, every repair job and its whole story, and, for an admin, the actions on it: re-check
 * now, start a repair, snooze or wake, resolve.
 */
import { useState } from 'preact/hooks';
import type { Finding, FindingHistory, Page, RepairJob } from '../wire-types';
import { ago, failureText } from '../format';
import { useLive } from '../live';
import {
  bulkDoneText,
  bulkPreviewText,
  DEFAULT_SNOOZE_MS,
  findingFilterOf,
  instantOfLocalInput,
  isSnoozed,
  localInputValue,
  priorityOf,
  repairStrategiesFor,
  SNOOZE_PRESETS,
  type BulkKind,
} from '../operator-actions';
import { hashOf } from '../routes';
import type { Session } from '../session';
import { Badge, BulkAction, Card, ErrorNote, FilterForm, Json, ReasonAction } from '../widgets';

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
  { name: 'status', label: 'status', options: ['unresolved', 'snoozed', 'resolved', 'all'] },
  { name: 'event_type', label: 'event type', options: EVENT_TYPES },
  { name: 'mismatch_type', label: 'mismatch type', options: MISMATCH_TYPES },
  { name: 'source', label: 'source', options: ['cappella', 'hippo', 'canon'] },
  { name: 'source_id', label: 'source id' },
  { name: 'scan_id', label: 'scan id' },
  { name: 'since', label: 'since (ISO 8601)' },
  { name: 'until', label: 'until (ISO 8601)' },
];

/** The views of the list by status, as tabs: the other filters stay as they are. */
const VIEWS: ReadonlyArray<[status: string, label: string]> = [
  ['unresolved', 'open'],
  ['snoozed', 'snoozed'],
  ['resolved', 'resolved'],
  ['all', 'all'],
];

/** The bulk actions on the open findings a list's filters select. */
const BULK_ACTIONS: ReadonlyArray<[kind: Extract<BulkKind, 'resolve' | 'recheck'>, label: string]> =
  [
    ['resolve', 'Resolve all…'],
    ['recheck', 'Re-check all…'],
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
  const status = params.status ?? 'all';
  const filter = findingFilterOf(params);
  return (
    <div>
      <nav class="tabs" data-testid="finding-views">
        {VIEWS.map(([view, label]) => (
          <a
            key={view}
            class={view === status ? 'active' : ''}
            href={hashOf({ page: 'findings', params: { ...params, status: view } })}
          >
            {label}
          </a>
        ))}
      </nav>
      <FilterForm
        key={key}
        fields={FILTERS}
        values={params}
        apply={(values) => {
          location.hash = hashOf({ page: 'findings', params: values });
        }}
      />
      <ErrorNote error={live.error} />
      {session.role === 'admin' && status !== 'resolved' ? (
        <div class="bulk-bar" data-testid="findings-bulk">
          <span class="hint">
            Every open finding these filters select (snoozed ones too, status aside):
          </span>
          {BULK_ACTIONS.map(([kind, label]) => (
            <BulkAction
              key={`${kind}-${JSON.stringify(filter)}`}
              label={label}
              testId={`bulk-${kind}`}
              preview={() => session.api.bulkFindings({ action: kind, filter, dryRun: true })}
              act={async (max, reason) => {
                const outcome = await session.api.bulkFindings({
                  action: kind,
                  filter,
                  reason,
                  max,
                  dryRun: false,
                });
                live.reload();
                return outcome;
              }}
              describe={(outcome) => bulkPreviewText(kind, outcome)}
              report={(outcome) => bulkDoneText(kind, outcome)}
            />
          ))}
        </div>
      ) : null}
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
                  {isSnoozed(finding) ? (
                    <>
                      {' '}
                      <Badge value="snoozed" />
                    </>
                  ) : null}
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
  const live = useLive<FindingHistory>(() => session.api.history(id), [id]);
  if (!live.data) return live.error ? <ErrorNote error={live.error} /> : <p>Loading…</p>;
  const { event, repairs, steps } = live.data;
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
            {closedText(event)}
          </dd>
          {event.state === 'record' ? null : (
            <>
              <dt>re-checks</dt>
              <dd data-testid="finding-rechecks">{recheckText(event)}</dd>
            </>
          )}
          {isSnoozed(event) ? (
            <>
              <dt>snoozed</dt>
              <dd data-testid="finding-snooze">
                until {event.snoozed_until ?? ''} ({ago(event.snoozed_until)})
                {event.snoozed_by ? ` by ${event.snoozed_by}` : ''}
                {event.snooze_reason ? `: ${event.snooze_reason}` : ''}
              </dd>
            </>
          ) : null}
        </dl>
        <h3>Details</h3>
        <Json value={event.details} />
      </Card>
      {session.role === 'admin' && event.state === 'open' ? (
        <FindingActions session={session} event={event} changed={live.reload} />
      ) : null}
      <Card title="Repair jobs">
        {repairs.length === 0 ? (
          <p class="hint">No repair job so far.</p>
        ) : (
          <div class="scroll">
            <table class="list" data-testid="finding-repairs">
              <thead>
                <tr>
                  <th>created</th>
                  <th>strategy</th>
                  <th>state</th>
                  <th>started by</th>
                  <th>retry of</th>
                  <th>outcome</th>
                </tr>
              </thead>
              <tbody>
                {repairs.map((job) => (
                  <tr key={job.id} data-testid="finding-repair" data-job-id={job.id}>
                    <td>{ago(job.created_at)}</td>
                    <td>{job.strategy}</td>
                    <td>
                      <Badge value={job.state} />
                    </td>
                    <td>{job.requested_by ?? 'its strategy'}</td>
                    <td class="id">{job.retry_of ? job.retry_of.slice(0, 8) : '—'}</td>
                    <td class="reason">{jobOutcome(job)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <Card title="History">
        <ol class="timeline" data-testid="history">
          {steps.map((step, index) => (
            <li key={`${index}-${step.step}-${step.at}`} data-step={step.step}>
              <strong>{step.step.replace(/_/g, ' ')}</strong> {ago(step.at)}
              {step.by ? ` by ${step.by}` : ''}
              {step.note ? ` — ${step.note}` : ''}
              {step.job_id ? (
                <span class="hint"> (repair job {step.job_id.slice(0, 8)})</span>
              ) : null}
            </li>
          ))}
        </ol>
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

/** How a closed finding was closed: by an operator (who, why), or healed by Bridge itself. */
function closedText(event: Finding): string {
  if (event.state === 'healed') {
    return ` — the discrepancy went away, Bridge closed it ${ago(event.resolved_at)}${
      event.resolution_note ? `: ${event.resolution_note}` : ''
    }`;
  }
  if (event.state === 'resolved') {
    return ` by ${event.resolved_by ?? '?'}: ${event.resolution_note ?? ''}`;
  }
  return '';
}

/** How often Bridge looked at the finding again, when last, and when it looks next. */
function recheckText(event: Finding, now: number = Date.now()): string {
  const last = event.last_checked_at ? `, last ${ago(event.last_checked_at, now)}` : '';
  let next = '';
  if (event.state === 'open') {
    const due = event.next_recheck_at;
    next = !due
      ? ', next at the next scan'
      : Date.parse(due) <= now
        ? ', next due now'
        : `, next ${ago(due, now)}`;
  }
  return `looked at again ${event.recheck_count} time(s)${last}${next}`;
}

/** A job's decision, error or approval deadline, whichever it has. */
function jobOutcome(job: RepairJob): string {
  const parts = [
    job.decided_by
      ? `decided by ${job.decided_by}${job.decision_reason ? ` (${job.decision_reason})` : ''}`
      : '',
    job.state === 'AWAITING_APPROVAL' && job.expires_at ? `expires ${ago(job.expires_at)}` : '',
    job.last_error ?? '',
  ];
  return parts.filter(Boolean).join('; ') || '—';
}

/**
 * An admin's actions on an open finding: re-check now, start a repair (only with a strategy its
 * type allows; none offered when it has none), snooze (or wake). What the API answers, a
 * refusal included, is shown below the buttons.
 */
function FindingActions({
  session,
  event,
  changed,
}: {
  session: Session;
  event: Finding;
  changed: () => void;
}) {
  const [form, setForm] = useState<'repair' | 'snooze' | null>(null);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const strategies = repairStrategiesFor(event.mismatch_type);
  const run = (work: () => Promise<string>) => {
    setBusy(true);
    setError(null);
    setNote(null);
    work()
      .then((text) => {
        setNote(text);
        setForm(null);
        changed();
      })
      .catch((failure: unknown) => setError(failureText(failure)))
      .finally(() => setBusy(false));
  };
  const toggle = (which: 'repair' | 'snooze') => {
    setError(null);
    setForm(form === which ? null : which);
  };
  return (
    <Card title="Actions">
      <p class="actions" data-testid="finding-actions">
        <button
          type="button"
          data-testid="recheck"
          disabled={busy}
          onClick={() =>
            run(async () => {
              await session.api.recheck(event.id);
              return 'Bridge looks at it again within seconds.';
            })
          }
        >
          Re-check now
        </button>
        {strategies.length > 0 ? (
          <button type="button" data-testid="repair-open" onClick={() => toggle('repair')}>
            Repair…
          </button>
        ) : null}
        <button type="button" data-testid="snooze-open" onClick={() => toggle('snooze')}>
          Snooze…
        </button>
        {isSnoozed(event) ? (
          <button
            type="button"
            data-testid="wake"
            disabled={busy}
            onClick={() =>
              run(async () => {
                await session.api.wake(event.id);
                return 'Woken: it is back among the open findings.';
              })
            }
          >
            Wake
          </button>
        ) : null}
      </p>
      {form === 'repair' ? (
        <RepairForm
          strategies={strategies}
          busy={busy}
          submit={(request) =>
            run(async () => {
              const job = await session.api.startRepair(event.id, request);
              return `Repair job ${job.id} started (${job.state}).`;
            })
          }
        />
      ) : null}
      {form === 'snooze' ? (
        <SnoozeForm
          busy={busy}
          submit={(until, reason) =>
            run(async () => {
              const snoozed = await session.api.snooze(event.id, until, reason);
              return `Snoozed until ${snoozed.snoozed_until ?? until}.`;
            })
          }
        />
      ) : null}
      {note ? (
        <p class="note" role="status" data-testid="finding-action-note">
          {note}
        </p>
      ) : null}
      <ErrorNote error={error} />
    </Card>
  );
}

/** A repair's strategy (of those allowed), optional priority and reason. */
function RepairForm({
  strategies,
  busy,
  submit,
}: {
  strategies: readonly string[];
  busy: boolean;
  submit: (request: { strategy: string; priority?: number; reason?: string }) => void;
}) {
  const [strategy, setStrategy] = useState(strategies[0] ?? '');
  const [priority, setPriority] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <form
      class="action"
      data-testid="repair"
      onSubmit={(event) => {
        event.preventDefault();
        const typed = priority.trim() === '' ? undefined : priorityOf(priority);
        if (typed === null) {
          setError('The priority is a whole number from -1000000 to 1000000 (higher runs first).');
          return;
        }
        setError(null);
        submit({ strategy, priority: typed, reason: reason.trim() });
      }}
    >
      <select
        name="strategy"
        aria-label="strategy"
        value={strategy}
        onChange={(event) => setStrategy(event.currentTarget.value)}
      >
        {strategies.map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
      <input
        type="number"
        name="priority"
        step={1}
        value={priority}
        placeholder="priority (optional)"
        aria-label="priority (optional)"
        onInput={(event) => setPriority(event.currentTarget.value)}
      />
      <input
        type="text"
        name="reason"
        value={reason}
        maxLength={2000}
        placeholder="reason (optional)"
        aria-label="reason (optional)"
        onInput={(event) => setReason(event.currentTarget.value)}
      />
      <button type="submit" disabled={busy}>
        Start repair
      </button>
      <ErrorNote error={error} />
    </form>
  );
}

/** Until when (a preset or a local date and time) and why a finding is snoozed. */
function SnoozeForm({
  busy,
  submit,
}: {
  busy: boolean;
  submit: (until: string, reason: string) => void;
}) {
  const [until, setUntil] = useState(() => localInputValue(Date.now() + DEFAULT_SNOOZE_MS));
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <form
      class="action"
      data-testid="snooze"
      onSubmit={(event) => {
        event.preventDefault();
        const instant = instantOfLocalInput(until);
        if (!instant || Date.parse(instant) <= Date.now()) {
          setError('Snooze until a time still to come.');
          return;
        }
        setError(null);
        submit(instant, reason.trim());
      }}
    >
      {SNOOZE_PRESETS.map((preset) => (
        <button
          key={preset.label}
          type="button"
          class="secondary"
          data-preset={preset.label}
          onClick={() => setUntil(localInputValue(Date.now() + preset.ms))}
        >
          {preset.label}
        </button>
      ))}
      <input
        type="datetime-local"
        name="until"
        value={until}
        required
        aria-label="snooze until (local time)"
        onInput={(event) => setUntil(event.currentTarget.value)}
      />
      <input
        type="text"
        name="reason"
        value={reason}
        maxLength={2000}
        placeholder="reason (optional)"
        aria-label="reason (optional)"
        onInput={(event) => setReason(event.currentTarget.value)}
      />
      <button type="submit" disabled={busy}>
        Snooze
      </button>
      <ErrorNote error={error} />
    </form>
  );
}
