/**
 * Repair jobs: those waiting for an operator first, each with its plan (pipeline, inputs,
 * expected outputs or artifacts) shown before any button, with approve and reject for an
 * admin; then the jobs in other states, for context.
 */
import { useState } from 'preact/hooks';
import type { RepairJob } from '../wire-types';
import { ago } from '../format';
import { useLive } from '../live';
import { hashOf } from '../routes';
import type { Session } from '../session';
import { Badge, Card, ErrorNote, Json, ReasonAction } from '../widgets';

const STATE_GROUPS: Record<string, string> = {
  waiting: 'AWAITING_APPROVAL',
  active: 'PENDING,PLANNED,EXECUTING',
  finished: 'DONE,FAILED,REJECTED',
};

export function RepairsPage({ session }: { session: Session }) {
  const [group, setGroup] = useState('waiting');
  const live = useLive(
    () => session.api.repairs(STATE_GROUPS[group] ?? 'AWAITING_APPROVAL'),
    [group],
  );
  return (
    <div>
      <nav class="tabs">
        {Object.keys(STATE_GROUPS).map((name) => (
          <button
            key={name}
            type="button"
            class={name === group ? 'active' : ''}
            onClick={() => setGroup(name)}
          >
            {name === 'waiting' ? 'awaiting approval' : name}
          </button>
        ))}
      </nav>
      <ErrorNote error={live.error} />
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
  const waiting = job.state === 'AWAITING_APPROVAL';
  return (
    <Card title={`${job.mismatch_type} · ${job.strategy}`}>
      <div data-testid="repair-job" data-job-id={job.id}>
        <p>
          <Badge value={job.state} /> finding{' '}
          <a href={hashOf({ page: 'finding', id: job.sync_event_id, params: {} })}>
            {job.sync_event_id.slice(0, 8)}
          </a>{' '}
          detected {ago(job.finding_created_at)}, {job.attempts} attempt(s)
          {job.decided_by ? `, decided by ${job.decided_by}` : ''}
          {job.decision_reason ? ` (${job.decision_reason})` : ''}
        </p>
        {job.last_error ? <p class="error">{job.last_error}</p> : null}
        <h3>Plan</h3>
        <Json value={job.plan} />
        {waiting && session.role === 'admin' ? (
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
      </div>
    </Card>
  );
}
