/**
 * How long the store keeps what it no longer needs, and what that means in dates: the pure
 * part of store maintenance (`store-maintenance.ts` deletes what these cutoffs say is old).
 *
 * Every kept kind has its own retention, because each is needed for its own reason:
 * processed-event ids must outlive any redelivery or replay (at least the inbound topics'
 * retention), a dead letter an operator requeued is history, a pending one is work not yet
 * done, finished repairs and scans are history, and the audit log answers questions asked a
 * year later.
 */
import type { RetentionConfig } from '@bridge/config';

/** What store maintenance keeps, per kind of row (the configuration's `retention`). */
export type RetentionPolicy = RetentionConfig;

export type RetentionCutoffs = { [K in keyof RetentionPolicy]: Date };

const DAY_MS = 86_400_000;

/** The instant before which each kind of row is old enough to go. */
export function retentionCutoffs(policy: RetentionPolicy, now: Date): RetentionCutoffs {
  const before = (days: number) => new Date(now.getTime() - days * DAY_MS);
  return {
    processedEventsDays: before(policy.processedEventsDays),
    recordsDays: before(policy.recordsDays),
    closedFindingsDays: before(policy.closedFindingsDays),
    requeuedDeadLettersDays: before(policy.requeuedDeadLettersDays),
    pendingDeadLettersDays: before(policy.pendingDeadLettersDays),
    repairJobsDays: before(policy.repairJobsDays),
    scansDays: before(policy.scansDays),
    auditDays: before(policy.auditDays),
  };
}
