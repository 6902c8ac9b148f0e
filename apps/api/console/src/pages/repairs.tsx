/**
 * Repair jobs: those waiting for an operator first, each with its plan (pipeline, inputs,
 * expected outputs or artifacts) shown before any button, with approve and reject for an
 * admin, one by one or all the listed ones at once (previewed, then confirmed); the expired
 * ones, which may still be approved; then the active and finished jobs, for context. An admin
 * retries a FAILED, REJECTED or EXPIRED job (as a new job) and changes an active one's priority.
 */
import { useState } from 'preact/hooks';
import type { RepairJob } from '../wire-types';
import { ago, failureText } from '../format';
import { useLive } from '../live';
import {
  bulkDoneText,
  bulkPreviewText,
  isActiveJob,
  isDecidableJob,
  isRetryableJob,
  priorityOf,
} from '../operator-actions';
import { hashOf } from '../routes';
import type { Session } from '../session';
import { Badge, BulkAction, Card, ErrorNote, Json, ReasonAction } from '../widgets';

const STATE_GROUPS: Record<string, string> = {
  waiting: 'AWAITING_APPROVAL',
  expired: 'EXPIRED',
  active: 'PENDING,PLANNED,EXECUTING',
  finished: 'DONE,FAILED,REJECTED',
};

const GROUP_LABELS: Record<string, string> = { waiting: 'awaiting approval' };

/** The views whose jobs can be decided all at once: the state the bulk filter names. */
const BULK_STATES: Record<string, { state: 'AWAITING_APPROVAL' | 'EXPIRED'; label: string }> = {
  waiting: { state: 'AWAITING_APPROVAL', label: 'Every job awaiting approval' },
  expired: { state: 'EXPIRED', label: 'Every expired job' },
};

const BULK_DECISIONS: ReadonlyArray<[action: 'approve' | 'reject', label: string]> = [
  ['approve', 'Approve all…'],
  ['reject', 'Reject all…'],
];

export function RepairsPage({ session }: { session: Session }) {
  const [group, setGroup] = useState('waiting');
  const live = useLive(
    () => session.api.repairs(STATE_GROUPS[group] ?? 'AWAITING_APPROVAL'),
    [group],
  );
  const bulk = BULK_STATES[group];
  return (
    <div>
      <nav class="tabs">
        {Object.keys(STATE_GROUPS).map((name) => (
          <button
            key={name}
            type="button"
            class={name === group ? 'active' : ''}
            data-group={name}
            onClick={() => setGroup(name)}
          >
            {GROUP_LABELS[name] ?? name}
          </button>
        ))}
      </nav>
      <ErrorNote error={live.error} />
      {session.role === 'admin' && bulk ? (
        <div class="bulk-bar" data-testid="repairs-bulk">
          <span class="hint">{bulk.label} (the listed ones and any past the list):</span>
          {BULK_DECISIONS.map(([action, label]) => (
            <BulkAction
              key={`${action}-${group}`}
              label={label}
              testId={`bulk-${action}`}
              preview={() =>
                session.api.bulkDecide({ action, filter: { state: bulk.state }, dryRun: true })
              }
              act={async (max, reason) => {
                const outcome = await session.api.bulkDecide({
                  action,
                  filter: { state: bulk.state },
                  reason,
                  max,
                  dryRun: false,
                });
                live.reload();
                return outcome;
              }}
              describe={(outcome) => bulkPreviewText(action, outcome)}
              report={(outcome) => bulkDoneText(action, outcome)}
            />
          ))}
        </div>
      ) : null}
      {live.data && live.data.items.length === 0 ? <p class="hint">No repair jobs here.</p> : null}
      <div class="cards" data-testid="repairs">
        {(live.data?.items ?? []).map((job) => (
          <RepairCard key={job.id} job={job} session={session} done={live.reload} />
        ))}
      </div>
    </div>
  );
}

function RepairCard({
  job,
  session,
  done,
}: {
  job: RepairJob;
  session: Session;
  done: () => void;
}) {
  const admin = session.role === 'admin';
  return (
    <Card title={`${job.mismatch_type} · ${job.strategy}`}>
      <div data-testid="repair-job" data-job-id={job.id} data-state={job.state}>
        <p>
          <Badge value={job.state} /> finding{' '}
          <a href={hashOf({ page: 'finding', id: job.sync_event_id, params: {} })}>
            {job.sync_event_id.slice(0, 8)}
          </a>{' '}
          detected {ago(job.finding_created_at)}, {job.attempts} attempt(s), priority {job.priority}
          {job.decided_by ? `, decided by ${job.decided_by}` : ''}
          {job.decision_reason ? ` (${job.decision_reason})` : ''}
        </p>
        <p class="hint" data-testid="repair-origin">
          started {ago(job.created_at)} by {job.requested_by ?? 'its strategy'}
          {job.retry_of ? `, retry of ${job.retry_of}` : ''}
          {job.state === 'AWAITING_APPROVAL' && job.expires_at
            ? `, expires ${ago(job.expires_at)}`
            : ''}
        </p>
        {job.last_error ? <p class="error">{job.last_error}</p> : null}
        <h3>Plan</h3>
        <Json value={job.plan} />
        {admin && isDecidableJob(job.state) ? (
          <div class="decisions">
            <ReasonAction
              testId="approve"
              label="Approve"
              placeholder="reason (optional)"
              required={false}
              act={async (reason) => {
                await session.api.decide(job.id, 'approve', reason);
                done();
              }}
            />
            <ReasonAction
              testId="reject"
              label="Reject"
              placeholder="reason (optional)"
              required={false}
              act={async (reason) => {
                await session.api.decide(job.id, 'reject', reason);
                done();
              }}
            />
          </div>
        ) : null}
        {admin && isRetryableJob(job.state) ? (
          <RetryAction session={session} job={job} done={done} />
        ) : null}
        {admin && isActiveJob(job.state) ? (
          <PriorityForm session={session} job={job} done={done} />
        ) : null}
      </div>
    </Card>
  );
}

/** Starts the job again as a new one; says which, or why the API refused. */
function RetryAction({
  session,
  job,
  done,
}: {
  session: Session;
  job: RepairJob;
  done: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const retry = () => {
    setBusy(true);
    setError(null);
    session.api
      .retry(job.id)
      .then((started) => {
        setNote(`Retry started as repair job ${started.id} (${started.state}).`);
        done();
      })
      .catch((failure: unknown) => setError(failureText(failure)))
      .finally(() => setBusy(false));
  };
  return (
    <div class="action retry">
      <button type="button" data-testid="retry" disabled={busy} onClick={retry}>
        Retry
      </button>
      {note ? (
        <p class="note" role="status" data-testid="retry-note">
          {note}
        </p>
      ) : null}
      <ErrorNote error={error} />
    </div>
  );
}

/** An active job's priority: a number and a button to set it (higher runs first). */
function PriorityForm({
  session,
  job,
  done,
}: {
  session: Session;
  job: RepairJob;
  done: () => void;
}) {
  const [value, setValue] = useState(String(job.priority));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = (event: Event) => {
    event.preventDefault();
    const priority = priorityOf(value);
    if (priority === null) {
      setError('The priority is a whole number from -1000000 to 1000000.');
      return;
    }
    setBusy(true);
    setError(null);
    session.api
      .setPriority(job.id, priority)
      .then(() => done())
      .catch((failure: unknown) => setError(failureText(failure)))
      .finally(() => setBusy(false));
  };
  return (
    <form class="action" data-testid="priority" onSubmit={submit}>
      <input
        type="number"
        name="priority"
        step={1}
        value={value}
        aria-label="priority"
        onInput={(event) => setValue(event.currentTarget.value)}
      />
      <button type="submit" disabled={busy}>
        Set priority
      </button>
      <ErrorNote error={error} />
    </form>
  );
}
