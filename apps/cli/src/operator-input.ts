/**
 * What the CLI's operator commands work out on their own before and after they call the API,
 * kept pure so it is tested without one: a snooze's end given as a duration from now (`2h`),
 * whole numbers from the command line (priorities, `--max`), and the lines a bulk action prints
 * for its preview and for what it did. Everything else (which findings match, what may be
 * repaired, whether an instant is valid) is the API's to decide.
 */
import { InvalidArgumentError } from 'commander';

/** What a bulk call answers (`POST /events/bulk`, `POST /repairs/bulk`). */
export interface BulkOutcome {
  action: string;
  dry_run: boolean;
  /** Rows the filter selects. */
  matched: number;
  /** Rows the action touches (or would): `matched` up to `max`. */
  selected: number;
  /** Rows it acted on: 0 in a dry run, fewer than `selected` if some changed meanwhile. */
  acted: number;
  ids: string[];
}

const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** One or more `<count><unit>` parts, e.g. `30m`, `2h`, `1d12h`. */
const DURATION = /^(?:\d+[smhdw])+$/;

/**
 * The end of a snooze as the API takes it: a duration (`30m`, `2h`, `1d`, `1w`, or parts of
 * them such as `1h30m`) becomes the ISO instant that long after `now`; anything else is passed
 * on as it is, for the API to accept as an ISO 8601 date-time or refuse with its own message.
 */
export function snoozeUntil(text: string, now: Date): string {
  const value = text.trim();
  if (!DURATION.test(value)) return value;
  let ms = 0;
  for (const [, count, unit] of value.matchAll(/(\d+)([smhdw])/g)) {
    ms += Number(count) * UNIT_MS[unit];
  }
  if (ms === 0) throw new InvalidArgumentError('a snooze must last longer than 0');
  const until = new Date(now.getTime() + ms);
  // A date beyond what a Date can hold has no ISO form; say so rather than fail in toISOString.
  if (Number.isNaN(until.getTime())) throw new InvalidArgumentError(`${value} is too long`);
  return until.toISOString();
}

/** A whole number from the command line (negative ones too), as commander's argument parser. */
export function parseInteger(text: string): number {
  const value = Number(text);
  if (!/^\s*-?\d+\s*$/.test(text) || !Number.isSafeInteger(value)) {
    throw new InvalidArgumentError('not a whole number (e.g. 10 or -5)');
  }
  return value;
}

/** What a bulk action did, in the past tense, to `what` ("3 of 5 open findings"). */
const DONE: Record<string, (what: string) => string> = {
  resolve: (what) => `resolved ${what}`,
  recheck: (what) => `asked a re-check of ${what}`,
  approve: (what) => `approved ${what}`,
  reject: (what) => `rejected ${what}`,
};

/**
 * The line a bulk call prints: "would resolve 3 of 5 open findings" for a dry run, "resolved 3
 * of 5 open findings" after acting; `noun` names what the filter selects. It says when `max`
 * held the action to fewer than matched, and when some selected rows changed meanwhile.
 */
export function bulkOutcomeLine(outcome: BulkOutcome, noun: string): string {
  const capped =
    outcome.selected < outcome.matched ? ` (at most ${outcome.selected} in one call)` : '';
  if (outcome.dry_run) {
    return `would ${outcome.action} ${outcome.selected} of ${outcome.matched} ${noun}${capped}`;
  }
  const done = DONE[outcome.action] ?? ((what: string) => `${outcome.action}: ${what}`);
  const missed = outcome.selected - outcome.acted;
  return `${done(`${outcome.acted} of ${outcome.matched} ${noun}`)}${capped}${
    missed > 0 ? `; ${missed} changed meanwhile and were left alone` : ''
  }`;
}

/** What the repairs a bulk decision works on are called, given its `--state` filter. */
export function repairsNoun(state: string | undefined): string {
  if (state === 'AWAITING_APPROVAL') return 'repairs awaiting approval';
  if (state === 'EXPIRED') return 'expired repairs';
  return 'repairs awaiting approval or expired';
}
