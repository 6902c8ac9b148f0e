/**
 * Looks at open findings again: the checker's I/O around `healing-decision.ts`.
 *
 * A pass claims the open findings that are due (their schedule step came, or a scan or an
 * operator made them due), reads the components for all of them with one call per component,
 * and for each finding:
 * - healed: closes it as `healed` with the reason, ends its repair jobs that have not acted yet,
 *   and announces it on `bridge.sync.repaired` (resolution `healed`), all in one transaction;
 * - still holding: counts the re-check and schedules the next (or none, after the schedule);
 * - a check that failed: runs the check again (a fresh work item on `bridge.internal.checks`),
 *   whose outcome replaces the `check_failed` row.
 *
 * A finding whose repair is executing is not claimed: the repair's confirmation decides it, so
 * a repair that worked is never mistaken for a discrepancy that went away by itself. A
 * component that cannot be read leaves its findings due again after the first step's delay,
 * without counting the attempt.
 */
import { Logger } from '@nestjs/common';
import type { RecheckConfig } from '@bridge/config';
import { entityKeyId, Topics, type EntityKey } from '@bridge/contracts';
import { ComponentRequestError, ComponentUnavailableError, errorMessage } from '@bridge/errors';
import type { EventPublisher } from '@bridge/messaging';
import { BridgeMetrics } from '@bridge/metrics';
import type { RecheckOutcome, StoreTransactions, SyncEvent, SyncEventLog } from '@bridge/store';
import { partitionKeyOf } from './check-work';
import type { ComponentReader } from './component-reader';
import {
  decideHealing,
  healedEventFor,
  healingReadsFor,
  nextRecheckInMs,
  rerunWorkFor,
  type HealingObservation,
} from './healing-decision';

export interface FindingRecheckerDeps {
  components: ComponentReader;
  log: SyncEventLog;
  transactions: StoreTransactions;
  publisher: EventPublisher;
  settings: RecheckConfig;
  now?: () => number;
}

export interface RecheckSummary {
  /** Findings claimed in this pass. */
  claimed: number;
  healed: number;
  /** Failed checks sent to run again. */
  rerun: number;
  /** Findings the components could not be read for. */
  unobserved: number;
}

export class FindingRechecker {
  private readonly logger = new Logger('FindingRechecker');
  private readonly now: () => number;

  constructor(private readonly deps: FindingRecheckerDeps) {
    this.now = deps.now ?? Date.now;
  }

  async pass(): Promise<RecheckSummary> {
    const { settings } = this.deps;
    const claimed = await this.deps.log.claimDueRechecks({
      limit: settings.batchSize,
      leaseMs: settings.leaseMs,
      firstDelayMs: settings.delaysMs[0] ?? null,
    });
    const summary: RecheckSummary = { claimed: claimed.length, healed: 0, rerun: 0, unobserved: 0 };
    if (claimed.length === 0) return summary;

    const observation = await this.observe(claimed);
    const healings: Array<{ finding: SyncEvent; reason: string }> = [];
    const rerun: SyncEvent[] = [];
    const outcomes: RecheckOutcome[] = [];
    const retryLater = settings.delaysMs[0] ?? settings.leaseMs;
    for (const finding of claimed) {
      if (!observation) {
        outcomes.push({ id: finding.id, nextInMs: retryLater, counted: false });
        continue;
      }
      const decision = decideHealing(finding, observation);
      if (decision.kind === 'healed') healings.push({ finding, reason: decision.reason });
      else if (decision.kind === 'run_check_again') rerun.push(finding);
      if (decision.kind !== 'healed') {
        outcomes.push({
          id: finding.id,
          nextInMs: nextRecheckInMs(settings.delaysMs, finding.recheckCount + 1),
          counted: true,
        });
      }
    }
    summary.unobserved = observation ? 0 : claimed.length;
    summary.rerun = await this.runChecksAgain(rerun);
    summary.healed = await this.heal(healings);
    await this.deps.log.recordRechecks(outcomes);
    const counts = {
      healed: summary.healed,
      rerun: summary.rerun,
      unobserved: summary.unobserved,
      holds: claimed.length - summary.healed - summary.rerun - summary.unobserved,
    };
    for (const [outcome, count] of Object.entries(counts)) {
      if (count > 0) BridgeMetrics.findingRechecks.inc({ outcome }, count);
    }
    return summary;
  }

  /**
   * Reads what the claimed findings need; null when a component could not be read (every
   * finding of the pass then waits for the next try).
   */
  private async observe(findings: SyncEvent[]): Promise<HealingObservation | null> {
    try {
      return await readHealingObservation(this.deps.components, findings);
    } catch (error) {
      if (error instanceof ComponentUnavailableError || error instanceof ComponentRequestError) {
        this.logger.warn(
          `cannot re-check ${findings.length} finding(s) now: ${errorMessage(error)}`,
        );
        return null;
      }
      throw error;
    }
  }

  /**
   * Closes the healed findings, ends their repair jobs that have not acted, and announces each
   * closure, in one transaction: the event goes out before the commit, so a closure nobody
   * hears of cannot happen, and a retry after a failed commit sends the same event id.
   */
  private async heal(healings: Array<{ finding: SyncEvent; reason: string }>): Promise<number> {
    if (healings.length === 0) return 0;
    return this.deps.transactions.run(async ({ log, repairs }) => {
      const closed = await log.closeAsHealed(
        healings.map(({ finding, reason }) => ({ id: finding.id, reason })),
      );
      if (closed.length === 0) return 0;
      await repairs.endUnstarted(
        closed.map((finding) => finding.id),
        'not needed: the finding healed before the repair acted',
      );
      const now = this.now();
      const events = closed.map((finding) => healedEventFor(finding, now));
      await this.deps.publisher.publishMany(
        Topics.BridgeSyncRepaired,
        events.map((event) => ({ event, key: event.run_id ?? event.sync_event_id })),
      );
      for (const finding of closed) {
        this.logger.log(`finding ${finding.id} healed: ${finding.resolutionNote ?? ''}`);
      }
      return closed.length;
    });
  }

  private async runChecksAgain(findings: SyncEvent[]): Promise<number> {
    const now = this.now();
    const work = findings.flatMap((finding) => {
      const item = rerunWorkFor(finding, now);
      return item ? [{ event: item, key: partitionKeyOf(item) }] : [];
    });
    if (work.length > 0) await this.deps.publisher.publishMany(Topics.BridgeInternalChecks, work);
    return work.length;
  }
}

/**
 * What the components show for these findings, with one call per component (Hippo for the
 * entities, Canon for the artifacts, Cappella once per run named as provenance). Throws the
 * component's error when one cannot be read.
 */
export async function readHealingObservation(
  reader: ComponentReader,
  findings: SyncEvent[],
): Promise<HealingObservation> {
  const reads = findings.map(healingReadsFor);
  const entities = distinct(reads.flatMap((r) => r.entities));
  const artifactEntities = distinct(reads.flatMap((r) => r.artifactEntities));
  const runIds = [...new Set(reads.flatMap((r) => r.runIds))];
  const [unavailable, artifacts, known] = await Promise.all([
    entities.length > 0 ? reader.unavailableEntities(entities) : Promise.resolve(new Set<string>()),
    artifactEntities.length > 0 ? reader.artifactsFor(artifactEntities) : Promise.resolve([]),
    Promise.all(
      runIds.map(async (runId) => ((await reader.runOutputs(runId)) === null ? null : runId)),
    ),
  ]);
  return {
    unavailable,
    heldArtifacts: new Set(artifacts.map((artifact) => artifact.artifact_id)),
    knownRuns: new Set(known.filter((runId): runId is string => runId !== null)),
  };
}

/** The keys, each once. */
function distinct(keys: EntityKey[]): EntityKey[] {
  return [...new Map(keys.map((key) => [entityKeyId(key), key])).values()];
}
