/**
 * Small building blocks every page uses. Every value from the API goes in as a text child,
 * which Preact escapes: an id containing markup is shown, never interpreted. Nothing here
 * (or anywhere in the console) sets `dangerouslySetInnerHTML`.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { asJson, failureText } from './format';

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
