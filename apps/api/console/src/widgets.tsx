/**
 * Small building blocks every page uses. Every value from the API goes in as a text child,
 * which Preact escapes: an id containing markup is shown, never interpreted. Nothing here
 * (or anywhere in the console) sets `dangerouslySetInnerHTML`.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { asJson, failureText } from './format';
import type { BulkOutcome } from './wire-types';

export function ErrorNote({ error }: { error: string | null }) {
  return error ? (
    <p class="error" role="alert">
      {error}
    </p>
  ) : null;
}

export function Badge({ value }: { value: string }) {
  return (
    <span class={`badge badge-${value.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`}>{value}</span>
  );
}

export function Json({ value }: { value: unknown }) {
  return <pre class="json">{asJson(value)}</pre>;
}

export function Card({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section class="card">
      <h2>{title}</h2>
      {children}
    </section>
  );
}

export function Stat({ label, value, testId }: { label: string; value: string; testId?: string }) {
  return (
    <div class="stat" data-testid={testId}>
      <div class="stat-value">{value}</div>
      <div class="stat-label">{label}</div>
    </div>
  );
}

/**
 * An admin action with a reason: a text field and a button; the button waits for the API and
 * the API's refusal is shown as it is.
 */
export function ReasonAction({
  label,
  placeholder,
  required,
  act,
  testId,
}: {
  label: string;
  placeholder: string;
  required: boolean;
  act: (reason: string) => Promise<unknown>;
  testId: string;
}) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    act(reason.trim())
      .then(() => setReason(''))
      .catch((failure: unknown) => setError(failureText(failure)))
      .finally(() => setBusy(false));
  };
  return (
    <form class="action" onSubmit={submit} data-testid={testId}>
      <input
        type="text"
        value={reason}
        placeholder={placeholder}
        required={required}
        maxLength={2000}
        onInput={(event) => setReason(event.currentTarget.value)}
        aria-label={placeholder}
      />
      <button type="submit" disabled={busy}>
        {label}
      </button>
      <ErrorNote error={error} />
    </form>
  );
}

/**
 * An admin action on many objects at once, in two steps: the API's dry run first says how many
 * it would touch, and only the confirm that follows acts, on at most that many (so a set that
 * grew meanwhile is not acted on beyond what the operator saw); then it says how many it acted
 * on. Give it a `key` of what it acts on, so a preview never outlives the filter it counted.
 */
export function BulkAction({
  label,
  testId,
  preview,
  act,
  describe,
  report,
}: {
  label: string;
  testId: string;
  /** The dry run. */
  preview: () => Promise<BulkOutcome>;
  /** The action, on at most `max` (the dry run's selection), with the operator's reason. */
  act: (max: number, reason: string) => Promise<BulkOutcome>;
  /** The dry run's answer as a sentence ("This will resolve 3 of 3 open findings."). */
  describe: (outcome: BulkOutcome) => string;
  /** The action's answer as a sentence. */
  report: (outcome: BulkOutcome) => string;
}) {
  const [pending, setPending] = useState<BulkOutcome | null>(null);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const run = (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    work()
      .catch((failure: unknown) => setError(failureText(failure)))
      .finally(() => setBusy(false));
  };
  const ask = () =>
    run(async () => {
      setNote(null);
      setPending(await preview());
    });
  const confirm = (event: Event) => {
    event.preventDefault();
    if (!pending || pending.selected === 0) return;
    const max = pending.selected;
    run(async () => {
      const outcome = await act(max, reason.trim());
      setPending(null);
      setReason('');
      setNote(report(outcome));
    });
  };
  return (
    <div class="bulk" data-testid={testId}>
      <button type="button" data-testid={`${testId}-ask`} disabled={busy} onClick={ask}>
        {label}
      </button>
      {pending ? (
        <form class="action confirm" onSubmit={confirm}>
          <span data-testid={`${testId}-preview`}>{describe(pending)}</span>
          {pending.selected > 0 ? (
            <>
              <input
                type="text"
                value={reason}
                placeholder="reason (optional)"
                maxLength={2000}
                onInput={(event) => setReason(event.currentTarget.value)}
                aria-label="reason (optional)"
              />
              <button type="submit" data-testid={`${testId}-confirm`} disabled={busy}>
                Confirm
              </button>
            </>
          ) : null}
          <button type="button" class="secondary" onClick={() => setPending(null)}>
            Cancel
          </button>
        </form>
      ) : null}
      {note ? (
        <p class="note" role="status" data-testid={`${testId}-done`}>
          {note}
        </p>
      ) : null}
      <ErrorNote error={error} />
    </div>
  );
}

/** A filter form whose fields are the page's URL parameters. */
export function FilterForm({
  fields,
  values,
  apply,
}: {
  fields: Array<{ name: string; label: string; options?: string[] }>;
  values: Record<string, string>;
  apply: (values: Record<string, string>) => void;
}) {
  const [draft, setDraft] = useState(values);
  const set = (name: string, value: string) => setDraft({ ...draft, [name]: value });
  return (
    <form
      class="filters"
      onSubmit={(event) => {
        event.preventDefault();
        apply(draft);
      }}
    >
      {fields.map((field) => (
        <label key={field.name}>
          <span>{field.label}</span>
          {field.options ? (
            <select
              name={field.name}
              value={draft[field.name] ?? ''}
              onChange={(event) => set(field.name, event.currentTarget.value)}
            >
              <option value="">any</option>
              {field.options.map((option) => (
                <option key={option} value={option}>
                  {option}
                </option>
              ))}
            </select>
          ) : (
            <input
              name={field.name}
              type="text"
              value={draft[field.name] ?? ''}
              onInput={(event) => set(field.name, event.currentTarget.value)}
            />
          )}
        </label>
      ))}
      <button type="submit">Apply</button>
    </form>
  );
}
