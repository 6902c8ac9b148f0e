/**
 * The mismatch types Bridge records and the repair strategies each one allows (see
 * docs/design.md, Mismatch types and repair strategies).
 *
 * Configuration validates the operator's choice against `ALLOWED_STRATEGIES` at start-up, and
 * the checker stamps the chosen strategy on every finding, so the table lives here, next to the
 * event contracts, where both can read it.
 */

export const MISMATCH_TYPES = [
  'missing_entity',
  'stale_cache',
  'partial_output',
  'dangling_reference',
  'orphan_provenance',
] as const;

export type MismatchType = (typeof MISMATCH_TYPES)[number];

export const REPAIR_STRATEGIES = [
  'alert_only',
  'resubmit_run',
  'evict_immediately',
  'evict_on_next_sweep',
] as const;

export type RepairStrategy = (typeof REPAIR_STRATEGIES)[number];

export const ALLOWED_STRATEGIES: Readonly<Record<MismatchType, readonly RepairStrategy[]>> = {
  missing_entity: ['alert_only', 'resubmit_run'],
  stale_cache: ['evict_immediately', 'evict_on_next_sweep', 'alert_only'],
  partial_output: ['alert_only', 'resubmit_run'],
  dangling_reference: ['alert_only'],
  orphan_provenance: ['alert_only'],
};

export const DEFAULT_STRATEGIES: Readonly<Record<MismatchType, RepairStrategy>> = {
  missing_entity: 'alert_only',
  stale_cache: 'evict_on_next_sweep',
  partial_output: 'alert_only',
  dangling_reference: 'alert_only',
  orphan_provenance: 'alert_only',
};

/** What Canon is told to do with stale artifacts under a strategy (`none`: alert only). */
export function evictionModeFor(strategy: RepairStrategy): 'immediate' | 'next_sweep' | 'none' {
  if (strategy === 'evict_immediately') return 'immediate';
  if (strategy === 'evict_on_next_sweep') return 'next_sweep';
  return 'none';
}
