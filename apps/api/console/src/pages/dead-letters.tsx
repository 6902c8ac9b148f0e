/**
 * Dead letters: filtered like `GET /dead-letters` (pending by default), one opened with its
 * reason and decoded payload, and (admin) requeue of one or of every letter the filter
 * matches. Requeueing sends the original bytes back to their topic; the list shows what came
 * back as a new dead letter.
 */
import { useState } from 'preact/hooks';
import { ago, failureText } from '../format';
import { useLive } from '../live';
import { hashOf } from '../routes';
import type { Session } from '../session';
import { Badge, Card, ErrorNote, FilterForm, Json } from '../widgets';

const FILTERS = [
  { name: 'status', label: 'status', options: ['pending', 'requeued', 'all'] },
  { name: 'source_topic', label: 'source topic' },
  {
    name: 'failure_kind',
    label: 'failure kind',
    options: ['undecodable', 'invalid', 'handler_failed'],
  },
  { name: 'consumer_group', label: 'consumer group' },
];

/** The filter part of the page parameters (what a filtered requeue takes too). */
function filterOf(params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(FILTERS.map((f) => [f.name, params[f.name] ?? '']));
}

export function DeadLettersPage({
  session,
  params,
  id,
}: {
  session: Session;
  params: Record<string, string>;
  id?: string;
}) {
  const key = JSON.stringify(params);
  const live = useLive(() => session.api.deadLetters({ limit: '100', ...filterOf(params) }), [key]);
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const requeueMatching = () => {
    setError(null);
    session.api
      .requeueMatching(filterOf(params), 1000)
      .then((answer) => {
        setNote(`${answer.requeued} dead letter(s) requeued`);
        live.reload();
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
          location.hash = hashOf({ page: 'dead-letters', params: values });
        }}
      />
      <ErrorNote error={live.error ?? error} />
      {note ? (
        <p class="note" role="status">
          {note}
        </p>
      ) : null}
      {session.role === 'admin' ? (
        <p class="actions">
          <button type="button" data-testid="requeue-matching" onClick={requeueMatching}>
            Requeue every letter matching these filters
          </button>
        </p>
      ) : null}
      {id ? <DeadLetterDetail session={session} id={id} requeued={live.reload} /> : null}
      <div class="scroll">
        <table class="list" data-testid="dead-letters">
          <thead>
            <tr>
              <th>occurred</th>
              <th>topic</th>
              <th>kind</th>
              <th>group</th>
              <th>reason</th>
            </tr>
          </thead>
          <tbody>
            {(live.data?.items ?? []).map((letter) => (
              <tr key={letter.id} data-testid="dead-letter-row">
                <td>
                  <a href={hashOf({ page: 'dead-letters', id: letter.id, params })}>
                    {ago(letter.occurred_at)}
                  </a>
                </td>
                <td>{letter.source_topic}</td>
                <td>
                  <Badge value={letter.failure_kind} />
                </td>
                <td>{letter.consumer_group}</td>
                <td class="reason">{letter.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {live.data && live.data.items.length === 0 ? <p class="hint">No dead letters here.</p> : null}
    </div>
  );
}

function DeadLetterDetail({
  session,
  id,
  requeued,
}: {
  session: Session;
  id: string;
  requeued: () => void;
}) {
  const live = useLive(() => session.api.deadLetter(id), [id]);
  const [error, setError] = useState<string | null>(null);
  if (!live.data) return live.error ? <ErrorNote error={live.error} /> : <p>Loading…</p>;
  const letter = live.data;
  const requeue = () => {
    setError(null);
    session.api
      .requeue(letter.id)
      .then(() => {
        live.reload();
        requeued();
      })
      .catch((failure: unknown) => setError(failureText(failure)));
  };
  return (
    <Card title={`Dead letter from ${letter.source_topic}`}>
      <div data-testid="dead-letter-detail">
        <p>
          {letter.source_topic}[{letter.source_partition}]@{letter.source_offset} ·{' '}
          {letter.consumer_group} · {letter.attempts} attempt(s) · requeued {letter.requeue_count}{' '}
          time(s)
          {letter.requeued_by ? `, last by ${letter.requeued_by} ${ago(letter.requeued_at)}` : ''}
        </p>
        <p class="error">{letter.reason}</p>
        <h3>Payload</h3>
        {letter.decode_error ? <p class="hint">not decoded: {letter.decode_error}</p> : null}
        <Json value={letter.payload_decoded ?? null} />
        {session.role === 'admin' ? (
          <button type="button" data-testid="requeue-one" onClick={requeue}>
            Requeue
          </button>
        ) : null}
        <ErrorNote error={error} />
      </div>
    </Card>
  );
}
