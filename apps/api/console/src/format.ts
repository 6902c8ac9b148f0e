/** How the console writes numbers, times and durations. Pure. */

/** `12 s ago`, `5 min ago`, `3 h ago`, or the date for anything older than a day. */
export function ago(iso: string | null, now: number = Date.now()): string {
  if (!iso) return '—';
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  if (seconds < 0) return `in ${duration(-seconds)}`;
  if (seconds < 86_400) return `${duration(seconds)} ago`;
  return new Date(iso).toISOString().slice(0, 16).replace('T', ' ');
}

/** `45 s`, `12 min`, `2 h 5 min`. */
export function duration(seconds: number): string {
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

/** Thousands separated, at most two decimals. */
export function count(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  return value.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

/** A latency in milliseconds, or a dash when nothing was measured. */
export function millis(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `${count(value)} ms`;
}

/** A 0-1 share as a percentage. */
export function percent(fraction: number | null): string {
  return fraction === null ? '—' : `${Math.round(fraction * 100)} %`;
}

/** Any value as indented JSON text, to be shown as text (never as markup). */
export function asJson(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? String(value);
}

/** What went wrong, as text for the page: an error's message, anything else as it prints. */
export function failureText(failure: unknown): string {
  return failure instanceof Error ? failure.message : String(failure);
}
