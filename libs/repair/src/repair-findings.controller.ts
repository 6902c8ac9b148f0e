/**
 * The repair service's consumers, in batches:
 * - `bridge.sync.mismatch` and `bridge.sync.stale_cache`: each finding is read back from the
 *   sync event log (typed, with the strategy it was recorded with) and gets one repair job
 *   unless its strategy is `alert_only`; a redelivered or repeated finding finds its job there.
 * - `bridge.sync.ok`: when the run a repair resubmitted passes its own post-run check, that
 *   repair's confirmation is due at once rather than at its next interval.
 * The `RepairWorkerScheduler` does the rest, nudged when work arrives.
 */
import { Controller, Inject, Logger } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { BRIDGE_CONFIG, type BridgeConfig } from '@bridge/config';
import { Topics } from '@bridge/contracts';
import { InvalidEventError } from '@bridge/errors';
import { ConsumeEvents, type ReceivedEvent } from '@bridge/messaging';
import { repairJobFor } from './repair-decisions';
import { RepairJobStore, SyncEventLog, type NewRepairJob } from '@bridge/store';
import { RepairWorkerScheduler } from './repair-worker.scheduler';

/** Consumer group of the repair service, before the deployment's prefix. */
export const REPAIR_GROUP = 'repair';

type FindingTopic = typeof Topics.BridgeSyncMismatch | typeof Topics.BridgeSyncStaleCache;
type OkTopic = typeof Topics.BridgeSyncOk;

@Controller()
export class RepairFindingsController {
  private readonly logger = new Logger('RepairFindings');

  constructor(
    @Inject(BRIDGE_CONFIG) private readonly config: BridgeConfig,
    private readonly log: SyncEventLog,
    private readonly jobs: RepairJobStore,
    private readonly scheduler: RepairWorkerScheduler,
  ) {}

  @ConsumeEvents([Topics.BridgeSyncMismatch, Topics.BridgeSyncStaleCache], {
    group: REPAIR_GROUP,
    batch: true,
  })
  async findings(@Payload() events: Array<ReceivedEvent<FindingTopic>>): Promise<void> {
    const ids = events.map((received) => received.event.sync_event_id);
    const findings = await this.log.findByIds(ids);
    const unknown = ids.filter((id) => !findings.has(id));
    if (unknown.length > 0) {
      // The outbox publishes a finding only after it is stored, so this is another deployment's
      // event or a hand-made one: the loop dead-letters it (alone, after splitting the batch).
      throw new InvalidEventError(`no finding ${unknown.join(', ')} in the sync event log`);
    }
    const entries = [...findings.values()]
      .map((finding) => repairJobFor(finding, this.config.repair))
      .filter((entry): entry is NewRepairJob => entry !== null);
    const created = await this.jobs.create(entries);
    if (created.length > 0) {
      this.logger.debug(`${created.length} new repair job(s)`);
      this.scheduler.nudge();
    }
  }

  @ConsumeEvents(Topics.BridgeSyncOk, { group: REPAIR_GROUP, batch: true })
  async runsOk(@Payload() events: Array<ReceivedEvent<OkTopic>>): Promise<void> {
    const due = await this.jobs.confirmSoon(events.map((received) => received.event.run_id));
    if (due > 0) this.scheduler.nudge();
  }
}
