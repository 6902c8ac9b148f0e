/**
 * The kinds of consistency check Bridge runs. Ingest names one on every `CheckRequested`, the
 * checker dispatches on it, and each finding stores the check that produced it, so the list
 * lives here beside the event contracts that carry it.
 */

export const CHECK_TYPES = ['post_run', 'failed_run', 'canon_staleness'] as const;

export type CheckType = (typeof CHECK_TYPES)[number];

export function isCheckType(value: string): value is CheckType {
  return (CHECK_TYPES as readonly string[]).includes(value);
}

/**
 * The `check_type` a full scan records on its findings. Not a check the checker runs (no check
 * work carries it), so it is kept out of `CHECK_TYPES`.
 */
export const SCAN_CHECK_TYPE = 'full_scan';

/** Every `check_type` a finding in the sync event log may name. */
export const FINDING_CHECK_TYPES = [...CHECK_TYPES, SCAN_CHECK_TYPE] as const;
