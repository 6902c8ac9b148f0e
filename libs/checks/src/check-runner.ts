/**
 * Runs a batch of consistency checks end to end: the checker's I/O around `decideCheck`.
 *
 * For each batch of work items (from `bridge.internal.checks` or its delayed twin) it skips
 * checks that already have a finding, takes a lease per check so no run is checked twice at
 * once, reads the components in bulk (one Cappella call per run, one Hippo lookup and one Canon
 * query for the whole batch), decides each check, records the findings with one multi-row
 * insert, publishes one outbound event per new finding, and sends re-checks and retries to the
 * delayed topics. Checks that exhaust their retries are recorded as `check_failed` and
 * dead-lettered with their work item, so an operator can requeue them.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import type { ChecksConfig } from '@bridge/config';
import {
  entityKeyId,
  DEAD_LETTER_TOPIC,
  SCAN_CHECK_TYPE,
  retryTierTopic,
  Topics,
  type CheckRequested,
  type EntityKey,
  type MismatchType,
  type RepairStrategy,
  type RetryTierTopic,
  type Topic,
} from '@bridge/contracts';
import { ComponentRequestError, ComponentUnavailableError, errorMessage } from '@bridge/errors';
import { buildDeadLetter, type EventPublisher } from '@bridge/messaging';
import { BridgeMetrics } from '@bridge/metrics';
import {
  SyncEventTypes,
  type CheckLeases,
  type RecordedSyncEvent,
  type StoreTransactions,
  type SyncEvent,
  type SyncEventLog,
} from '@bridge/store';
import {
  decideCheck,
  missingFrom,
  withoutScanReported,
  type CheckDecision,
  type CheckObservation,
} from './check-decision';
import { checkWorkOf, partitionKeyOf, recordLookupSince, type CheckWork } from './check-work';
import type { ComponentReader } from './component-reader';
import { FindingPublisher } from './finding-publisher';
import { findingFor, isFinal, type FinalDecision } from './finding';

/** A check another worker holds is looked at again after this long. */
const LEASE_BUSY_DELAY_MS = 1_000;

export interface CheckRunnerDeps {
  components: ComponentReader;
  log: SyncEventLog;
  /** For recording stale caches under the stale-cache lock (see `record`). */
  transactions: StoreTransactions;
  leases: CheckLeases;
  publisher: EventPublisher;
  checks: ChecksConfig;
  strategies: Readonly<Record<MismatchType, RepairStrategy>>;
  /** The consumer group whose work this runner does: what its dead letters name. */
  consumerGroup: string;
  /** Lease holder identity: unique per consumer, so two consumers never share a lease. */
  holder: string;
  now?: () => number;
}

export interface BatchSummary {
  skipped: number;
  findings: number;
  delayed: number;
  failed: number;
}

export class CheckRunner {
  private readonly logger = new Logger('CheckRunner');
  private readonly now: () => number;
  private readonly findings: FindingPublisher;

  constructor(private readonly deps: CheckRunnerDeps) {
    this.now = deps.now ?? Date.now;
    this.findings = new FindingPublisher(deps.publisher);
  }

  /**
   * @param keepAlive called between the slow phases, so a long batch keeps its consumer's
   *   session (Kafka heartbeats).
   */
  async runBatch(
    items: CheckRequested[],
    keepAlive: () => Promise<void> = async () => {},
  ): Promise<BatchSummary> {
    const summary: BatchSummary = { skipped: 0, findings: 0, delayed: 0, failed: 0 };
    // An item of a check type this build does not know throws here, before any side effect:
    // the loop then handles the batch item by item and dead-letters that one.
    const works = latestPerCheck(items.map(checkWorkOf));
    const existing = await this.deps.log.findByDedupeKeys(
      works.map((w) => w.check_key),
      { recordsSince: recordLookupSince(works) },
    );
    // A finding exists: the check is done, and only an outbound event still owed goes out.
    // A `check_failed` row is not an answer: a requeued or redelivered item runs again.
    const done = new Map(
      [...existing].filter(([, row]) => row.eventType !== SyncEventTypes.CheckFailed),
    );
    await this.publishOwed([...done.values()]);
    const open = works.filter((work) => !done.has(work.check_key));
    summary.skipped = works.length - open.length + (items.length - works.length);
    if (open.length === 0) return summary;

    const keys = open.map((work) => work.check_key);
    const held = await this.deps.leases.acquire(keys, this.deps.holder, this.deps.checks.leaseMs);
    const renewal = this.keepLeases([...held]);
    try {
      const busy = open.filter((work) => !held.has(work.check_key));
      const mine = open.filter((work) => held.has(work.check_key));
      // Looked up again now that this checker holds the keys: another may have recorded one
      // between the first look-up and the lease. What is stored now is what recording builds on.
      const stored = await this.deps.log.findByDedupeKeys(
        mine.map((work) => work.check_key),
        { recordsSince: recordLookupSince(mine) },
      );
      const observing = performance.now();
      const observations = await this.observe(mine);
      // The batch's checks share their component calls: each waited the batch's time.
      const seconds = (performance.now() - observing) / 1000;
      await keepAlive();
      const now = this.now();
      const decided = mine.map((work) => {
        const observation = observations.get(work.check_key);
        if (!observation) throw new Error(`no observation for ${work.check_key}`);
        return { work, decision: decideCheck(work, observation, this.deps.checks, now) };
      });
      for (const { work, decision } of decided) {
        BridgeMetrics.checkDuration.observe(
          { check_type: work.check_type, decision: decision.kind },
          seconds,
        );
      }
      const finals = decided.filter((d): d is { work: CheckWork; decision: FinalDecision } =>
        isFinal(d.decision),
      );
      // The dead letter goes out before the row: if we die in between, the redelivered item
      // fails again and writes another, rather than leaving a failure nobody can requeue.
      const failed = finals.filter(({ decision }) => decision.kind === 'failed');
      await this.deadLetter(failed);
      summary.failed = failed.length;
      const recorded = await this.record(finals, stored);
      await this.publishOwed(recorded.map((r) => r.event));
      summary.findings = recorded.filter((r) => r.created).length;
      // Re-checks and retries go out last: should anything above fail, the batch is redelivered
      // and decided again, instead of leaving extra copies on the delayed topics.
      const later = [
        ...decided.filter((d) => !isFinal(d.decision)),
        ...busy.map((work) => ({
          work,
          decision: { kind: 'lease_busy' as const, notBefore: now + LEASE_BUSY_DELAY_MS },
        })),
      ];
      await this.sendLater(later, now);
      summary.delayed = later.length;
      return summary;
    } finally {
      // The renewal must be over before the release, or it would take the leases again.
      await renewal.stop();
      await this.deps.leases.release([...held], this.deps.holder);
    }
  }

  /**
   * Records the batch's final decisions in one multi-row write. A batch that found stale
   * caches records under the stale-cache lock, leaving out artifacts an open finding of a full
   * scan already names: the scan and the check may meet the same deletion (a scan reads Canon
   * without waiting for the events), and whichever records second reports nothing twice.
   */
  private async record(
    finals: Array<{ work: CheckWork; decision: FinalDecision }>,
    stored: ReadonlyMap<string, SyncEvent>,
  ): Promise<RecordedSyncEvent[]> {
    const write = (log: SyncEventLog, decided: typeof finals) =>
      log.recordMany(
        decided.map(({ work, decision }) => findingFor(work, decision, this.deps.strategies)),
        { replaceable: SyncEventTypes.CheckFailed, existing: stored },
      );
    const artifactIds = finals.flatMap(({ decision }) =>
      decision.kind === 'stale_cache' ? decision.artifacts.map((a) => a.artifact_id) : [],
    );
    if (artifactIds.length === 0) return write(this.deps.log, finals);
    return this.deps.transactions.run(async ({ log }) => {
      await log.lockStaleCaches();
      const reportedBy = new Map<string, string>();
      for (const finding of await log.findOpenStaleCaches(artifactIds)) {
        if (finding.details.check_type !== SCAN_CHECK_TYPE) continue;
        for (const id of finding.details.artifact_ids) reportedBy.set(id, finding.id);
      }
      return write(
        log,
        finals.map(({ work, decision }) => ({
          work,
          decision: withoutScanReported(decision, work.entities.length, reportedBy),
        })),
      );
    });
  }

  /**
   * Renews the batch's leases every third of the lease time while the batch runs, so that a
   * batch slowed down by a component (a long lookup, retries) keeps its checks instead of
   * letting another checker take them half-way. A lease lost anyway (this process stalled past
   * it) only means another checker may run the same check: recording keeps one row per key
   * when both write on the same day (the loser reads the winner's row), and a row left from
   * another day is found by the look-up made once the lease is held.
   */
  private keepLeases(keys: string[]): { stop: () => Promise<void> } {
    if (keys.length === 0) return { stop: () => Promise.resolve() };
    let renewing: Promise<void> | undefined;
    const timer = setInterval(
      () => {
        renewing ??= this.deps.leases
          .acquire(keys, this.deps.holder, this.deps.checks.leaseMs)
          .then((kept) => {
            if (kept.size < keys.length) {
              this.logger.warn(
                `${keys.length - kept.size} check lease(s) lost during a long batch`,
              );
            }
          })
          .catch((error: unknown) => {
            this.logger.warn(`could not renew check leases: ${errorMessage(error)}`);
          })
          .finally(() => {
            renewing = undefined;
          });
      },
      Math.max(10, Math.floor(this.deps.checks.leaseMs / 3)),
    );
    return {
      stop: async () => {
        clearInterval(timer);
        await renewing;
      },
    };
  }

  /** Reads the components for every check in the batch, with one bulk call per component. */
  private async observe(works: CheckWork[]): Promise<Map<string, CheckObservation>> {
    const observations = new Map<string, CheckObservation>();
    const runChecks = works.filter((w) => w.check_type !== 'canon_staleness');
    const staleness = works.filter((w) => w.check_type === 'canon_staleness');

    const expected = new Map<string, EntityKey[]>();
    await Promise.all(
      runChecks.map(async (work) => {
        try {
          const outputs = await this.deps.components.runOutputs(work.run_id ?? work.source_id);
          if (outputs === null) observations.set(work.check_key, { kind: 'unknown_run' });
          // Cappella's record is the truth; a failed run's partial list may only be in the event.
          else expected.set(work.check_key, outputs.length > 0 ? outputs : work.entities);
        } catch (error) {
          observations.set(work.check_key, unavailable(error));
        }
      }),
    );
    await bySplittingRefusals([...expected], observations, async (group) => {
      const existing = await this.deps.components.existingEntities(
        group.flatMap(([, outputs]) => outputs),
      );
      for (const [checkKey, outputs] of group) {
        observations.set(checkKey, {
          kind: 'outputs',
          expected: outputs,
          missing: missingFrom(outputs, existing),
        });
      }
    });
    await bySplittingRefusals(
      staleness.map((work) => [work.check_key, work] as const),
      observations,
      async (group) => {
        const works = group.map(([, work]) => work);
        // The event may be old (a delayed retry, a replay): only entities Hippo still does not
        // offer count, so a cache that is valid again is never reported, nor evicted.
        const unavailable = await this.deps.components.unavailableEntities(
          works.flatMap((w) => w.entities),
        );
        const artifacts = await this.deps.components.artifactsFor(
          works.flatMap((w) => w.entities.filter((e) => unavailable.has(entityKeyId(e)))),
        );
        for (const work of works) {
          const mine = new Set(
            work.entities.map(entityKeyId).filter((key) => unavailable.has(key)),
          );
          observations.set(work.check_key, {
            kind: 'artifacts',
            artifacts: artifacts.filter((a) => mine.has(entityKeyId(a))),
          });
        }
      },
    );
    return observations;
  }

  private async sendLater(
    later: Array<{
      work: CheckRequested;
      decision: CheckDecision | { kind: 'lease_busy'; notBefore: number };
    }>,
    now: number,
  ): Promise<void> {
    if (later.length === 0) return;
    const events = later.map(({ work, decision }) => {
      const retrying = decision.kind === 'retry';
      const notBefore = 'notBefore' in decision ? decision.notBefore : now;
      return {
        key: partitionKeyOf(work),
        event: {
          ...work,
          event_id: randomUUID(),
          occurred_at: now,
          attempt: retrying ? work.attempt + 1 : work.attempt,
          not_before: notBefore,
          delay_reason: retrying ? 'retry' : decision.kind === 'recheck' ? 'grace' : 'lease',
          last_error: retrying ? decision.error : (work.last_error ?? null),
        },
      };
    });
    // Grace re-checks on one topic and each retry tier on its own: a delayed topic is read in
    // order, waiting for each item's time, so a topic must never hold a long delay in front of
    // a short one.
    const byTopic = new Map<Topic, typeof events>();
    for (const entry of events) {
      const topic =
        entry.event.delay_reason === 'retry'
          ? retryTopicFor(entry.event.attempt - 1)
          : Topics.BridgeInternalChecksRecheck;
      const list = byTopic.get(topic);
      if (list) list.push(entry);
      else byTopic.set(topic, [entry]);
    }
    await Promise.all(
      [...byTopic].map(([topic, items]) => this.deps.publisher.publishMany(topic, items)),
    );
  }

  /** Publishes the outbound events the rows owe, then marks them sent (the outbox). */
  private async publishOwed(rows: SyncEvent[]): Promise<void> {
    await this.deps.log.markPublished(await this.findings.publishOwed(rows));
  }

  private async deadLetter(
    failed: Array<{ work: CheckRequested; decision: FinalDecision }>,
  ): Promise<void> {
    if (failed.length === 0) return;
    const deadLetters = await Promise.all(
      failed.map(async ({ work, decision }) => {
        const reason = decision.kind === 'failed' ? decision.reason : 'check failed';
        this.logger.warn(`check ${work.check_key} failed for good: ${reason}`);
        const key = partitionKeyOf(work);
        // The work item as it would be requeued: a fresh first attempt. It never came from a
        // topic position of its own, hence partition and offset -1.
        const payload = await this.deps.publisher.encode(Topics.BridgeInternalChecks, {
          ...work,
          attempt: 1,
          not_before: null,
          delay_reason: null,
        });
        const message = {
          topic: Topics.BridgeInternalChecks,
          partition: -1,
          offset: '-1',
          key: Buffer.from(key),
          value: payload,
        };
        return {
          key,
          event: buildDeadLetter(
            message,
            this.deps.consumerGroup,
            reason,
            work.attempt,
            this.now(),
          ),
        };
      }),
    );
    await this.deps.publisher.publishMany(DEAD_LETTER_TOPIC, deadLetters);
  }
}

/** What a failed component call means for the check; anything else is Bridge's own failure. */
/**
 * Observes `items` together with `observe`; when the component refuses the whole request (a
 * 4xx such as 413 for a bulk lookup too large, or a 400 caused by one bad key), the items are
 * observed again in halves, down to single items, so that the refusal stays with the items that
 * cause it instead of failing every check of the batch. An outage is not split: it is the
 * component's state, and every item gets it.
 */
async function bySplittingRefusals<T>(
  items: ReadonlyArray<readonly [string, T]>,
  observations: Map<string, CheckObservation>,
  observe: (items: ReadonlyArray<readonly [string, T]>) => Promise<void>,
): Promise<void> {
  if (items.length === 0) return;
  try {
    await observe(items);
  } catch (error) {
    if (error instanceof ComponentRequestError && items.length > 1) {
      const half = Math.ceil(items.length / 2);
      await bySplittingRefusals(items.slice(0, half), observations, observe);
      await bySplittingRefusals(items.slice(half), observations, observe);
      return;
    }
    for (const [checkKey] of items) observations.set(checkKey, unavailable(error));
  }
}

function unavailable(error: unknown): CheckObservation {
  if (error instanceof ComponentUnavailableError)
    return { kind: 'unavailable', error: error.message };
  if (error instanceof ComponentRequestError) return { kind: 'refused', error: error.message };
  throw error;
}

/** One work item per check: the one furthest along (a redelivery may sit beside a retry). */
function latestPerCheck(items: CheckWork[]): CheckWork[] {
  const byKey = new Map<string, CheckWork>();
  for (const item of items) {
    const seen = byKey.get(item.check_key);
    if (!seen || item.attempt >= seen.attempt) byKey.set(item.check_key, item);
  }
  return [...byKey.values()];
}

/**
 * The retry topic of a check that failed attempt `failedAttempt`. The configuration allows no
 * more delays than there are tiers, so a missing tier is a bug, not a state to carry on from.
 */
function retryTopicFor(failedAttempt: number): RetryTierTopic {
  const topic = retryTierTopic(failedAttempt);
  if (!topic) throw new Error(`no retry tier for attempt ${failedAttempt}`);
  return topic;
}
