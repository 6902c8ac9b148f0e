/**
 * The rules the console's action buttons follow, as the API states them: which repair
 * strategies a finding's mismatch type allows an operator to start, which repair jobs can be
 * retried, decided or re-prioritised, what a snooze preset means as an instant, what a bulk
 * action acts on and how its preview and outcome read. Pure: the pages show or hide buttons by
 * these, and the API stays the judge (a refusal is shown as it answers).
 */
import type { BulkOutcome, Finding } from './wire-types';

/**
 * The strategies an operator may start a repair with, per mismatch type (the API's table less
 * `alert_only`, which repairs nothing). A type not listed has none: it is resolved by hand.
 */
const OPERATOR_STRATEGIES: ReadonlyMap<string, readonly string[]> = new Map([
  ['missing_entity', ['resubmit_run']],
  ['partial_output', ['resubmit_run']],
  ['stale_cache', ['evict_immediately', 'evict_on_next_sweep']],
  ['dangling_reference', []],
  ['orphan_provenance', []],
]);

/** The strategies a repair of a finding of this mismatch type may use; empty: none. */
export function repairStrategiesFor(mismatchType: string | null): readonly string[] {
  // A map, not an object: a type named like an object's own property has no strategy either.
  return (mismatchType && OPERATOR_STRATEGIES.get(mismatchType)) || [];
}

/** Jobs still in progress: they have a priority an operator may change. */
const ACTIVE_STATES = ['PENDING', 'PLANNED', 'AWAITING_APPROVAL', 'EXECUTING'];
/** Finished jobs an operator may start again (as a new job). */
const RETRYABLE_STATES = ['FAILED', 'REJECTED', 'EXPIRED'];
/** Jobs an operator may approve or reject (an expired one may still be approved). */
const DECIDABLE_STATES = ['AWAITING_APPROVAL', 'EXPIRED'];

export const isActiveJob = (state: string): boolean => ACTIVE_STATES.includes(state);
export const isRetryableJob = (state: string): boolean => RETRYABLE_STATES.includes(state);
export const isDecidableJob = (state: string): boolean => DECIDABLE_STATES.includes(state);

/** True while the finding is snoozed: open, and its snooze not over yet. */
export function isSnoozed(finding: Finding, now: number = Date.now()): boolean {
  return (
    finding.state === 'open' &&
    finding.snoozed_until !== null &&
    Date.parse(finding.snoozed_until) > now
  );
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** The snooze lengths offered with one click; any other instant is typed in. */
export const SNOOZE_PRESETS: ReadonlyArray<{ label: string; ms: number }> = [
  { label: '1 h', ms: HOUR_MS },
  { label: '1 day', ms: DAY_MS },
  { label: '1 week', ms: 7 * DAY_MS },
];

/** The snooze a form starts with: a day, the usual "look at it again tomorrow". */
export const DEFAULT_SNOOZE_MS = DAY_MS;

/**
 * The value a `datetime-local` input shows for an instant: the browser's local wall time to
 * the minute (the input knows no offset, so the operator reads and types local time).
 */
export function localInputValue(instant: number): string {
  const at = new Date(instant);
  const two = (value: number) => String(value).padStart(2, '0');
  return (
    `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())}` +
    `T${two(at.getHours())}:${two(at.getMinutes())}`
  );
}

/**
 * The ISO 8601 instant (with its offset, as the API wants) of a `datetime-local` value, read
 * as local time; null when it names no time.
 */
export function instantOfLocalInput(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value)) return null;
  // Without an offset, `Date` reads a date-time as local time: what the input showed.
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? null : at.toISOString();
}

/** The page parameters a bulk action on findings filters by (the list's, less status and paging). */
const FINDING_FILTER_FIELDS = [
  'event_type',
  'mismatch_type',
  'source',
  'source_id',
  'scan_id',
  'since',
  'until',
] as const;

/** The filter of a bulk action on the findings a list shows: its non-empty filter fields. */
export function findingFilterOf(params: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    FINDING_FILTER_FIELDS.flatMap((name) => {
      const value = params[name]?.trim();
      return value ? [[name, value]] : [];
    }),
  );
}

export type BulkKind = 'resolve' | 'recheck' | 'approve' | 'reject';

const BULK_WORDS: Readonly<
  Record<BulkKind, { verb: string; noun: string; done: (count: string) => string }>
> = {
  resolve: { verb: 'resolve', noun: 'open findings', done: (n) => `Resolved ${n}` },
  recheck: {
    verb: 're-check',
    noun: 'open findings',
    done: (n) => `Asked for a re-check of ${n}`,
  },
  approve: { verb: 'approve', noun: 'repair jobs', done: (n) => `Approved ${n}` },
  reject: { verb: 'reject', noun: 'repair jobs', done: (n) => `Rejected ${n}` },
};

/**
 * What a bulk action will do, from its dry run: how many it touches of how many match (a call
 * touches at most its maximum, oldest first), or that nothing matches.
 */
export function bulkPreviewText(kind: BulkKind, outcome: BulkOutcome): string {
  const { verb, noun } = BULK_WORDS[kind];
  if (outcome.selected === 0) return `No ${noun} match these filters: nothing to ${verb}.`;
  const rest =
    outcome.selected < outcome.matched ? ' (the oldest ones; run it again for the rest)' : '';
  return `This will ${verb} ${outcome.selected} of ${outcome.matched} ${noun}${rest}.`;
}

/**
 * What a bulk action did: how many it acted on, and how many of those it meant to touch were
 * left alone because someone else closed or decided them meanwhile.
 */
export function bulkDoneText(kind: BulkKind, outcome: BulkOutcome): string {
  const { noun, done } = BULK_WORDS[kind];
  const skipped = outcome.selected - outcome.acted;
  const meanwhile = skipped > 0 ? ` (${skipped} changed meanwhile and were left alone)` : '';
  return `${done(`${outcome.acted} ${noun}`)}${meanwhile}.`;
}

/** The most a priority may be either way (the API's bounds). */
const MAX_PRIORITY = 1_000_000;

/** A typed priority as the integer the API takes, or null when it is not one. */
export function priorityOf(text: string): number | null {
  const trimmed = text.trim();
  if (!/^[-+]?\d+$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return Math.abs(value) <= MAX_PRIORITY ? value : null;
}
