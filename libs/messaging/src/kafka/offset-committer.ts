/**
 * Commits a consumer's finished offsets in one request per interval instead of one per batch.
 *
 * The subscriber reports each message the `ConsumerLoop` finished; the committer keeps the
 * highest per partition and commits them all together `commitIntervalMs` after the first one
 * waiting, and at once when the group rebalances or the subscription stops. Under load a
 * consumer finishes many small batches a second, each of which used to cost a commit round trip
 * to the broker (about half of all Kafka requests in the repair benchmark). What a crash leaves
 * uncommitted, at most one interval's worth, is redelivered and absorbed by idempotent
 * handlers, as any crash between handling and committing always was.
 *
 * A refused commit (the group's coordinator moving to another broker, say) is tried again while
 * the member keeps its assignment: otherwise the last messages of a partition that receives no
 * more would stay uncommitted, shown as lag, until some rebalance delivered them again. Once the
 * group rebalances, whatever was not committed is left to the group: every member, this one
 * included, reads each partition it is given from the group's last commit, so the messages
 * after it are delivered again, and a commit carried over from the previous assignment could
 * only set back one made since by another member.
 *
 * Commits refused for `stuckAfterMs` on end are reported through `whenStuck`: kafkajs keeps the
 * group coordinator it found when the member joined and, answered "not the coordinator", only
 * refreshes its metadata, so a member whose coordinator moved without a rebalance can be refused
 * for as long as it stays in the group. The subscriber then replaces the consumer, whose fresh
 * join finds the coordinator again.
 *
 * A commit that gets no answer within `attemptDeadlineMs` counts as refused. kafkajs retries a
 * commit on its own, each try bounded by its request timeout, so a commit can otherwise take
 * minutes to fail; and while one is under way nothing else is committed here and the
 * stalled-partition watch leaves this member's partitions alone.
 */
import { Logger } from '@nestjs/common';
import { errorMessage, withinDeadline } from '@bridge/errors';
import { partitionKey } from './stalled-partitions';

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  /** The next offset to read, as Kafka commits it: the last finished offset plus one. */
  offset: string;
}

/** What the committer needs of a kafkajs consumer. */
export interface OffsetCommitTarget {
  commitOffsets(offsets: TopicPartitionOffset[]): Promise<void>;
}

/** A refused commit is tried again after the interval, and never sooner than this. */
const RETRY_MIN_MS = 1_000;

export interface OffsetCommitterOptions {
  /** How long commits may be refused without a break before `whenStuck` hears of it. */
  stuckAfterMs?: number;
  /** How long one commit may go unanswered before it counts as refused. */
  attemptDeadlineMs?: number;
  now?: () => number;
}

export class OffsetCommitter {
  private readonly logger = new Logger('OffsetCommitter');
  private pending = new Map<string, TopicPartitionOffset>();
  /** The commit under way, if any. */
  private sending: readonly TopicPartitionOffset[] = [];
  /** Partitions the group gave this member (`partitionKey`); unknown until it joined. */
  private owned?: ReadonlySet<string>;
  /** Counts the assignments: a commit refused under an earlier one is not tried again. */
  private assignment = 0;
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private closed = false;
  /** When the commits began to be refused, without one accepted since. */
  private refusedSince?: number;
  private onStuck?: (error: unknown) => void;
  /** How long commits may be refused without a break before `whenStuck` hears of it. */
  readonly stuckAfterMs: number;
  private readonly attemptDeadlineMs: number;
  private readonly now: () => number;

  constructor(
    private readonly target: OffsetCommitTarget,
    private readonly commitIntervalMs: number,
    {
      stuckAfterMs = 30_000,
      attemptDeadlineMs = 20_000,
      now = Date.now,
    }: OffsetCommitterOptions = {},
  ) {
    this.stuckAfterMs = stuckAfterMs;
    this.attemptDeadlineMs = attemptDeadlineMs;
    this.now = now;
  }

  /** `callback` is called once, when commits have been refused for `stuckAfterMs`. */
  whenStuck(callback: (error: unknown) => void): void {
    this.onStuck = callback;
  }

  /**
   * `offset` of `topic[partition]` is finished: it is committed with the next flush. A batch
   * that ends after its partition moved to another member commits nothing: the new owner reads
   * from the last commit, and a commit from here could only set its commit back.
   */
  finished(topic: string, partition: number, offset: string): void {
    const next = { topic, partition, offset: (BigInt(offset) + 1n).toString() };
    if (!this.owns(partitionKey(topic, partition))) {
      // Should not happen (kafkajs ends batches before it rejoins); said, so a stall shows why.
      this.logger.warn(`not committing ${topic}[${partition}]@${next.offset}: not assigned here`);
      return;
    }
    if (this.keep(next)) {
      if (this.commitIntervalMs <= 0) void this.flush();
      else this.schedule(this.commitIntervalMs);
    }
  }

  /**
   * The group gave this member `assignment` (topic to partitions). Commits still waiting are
   * dropped, whichever partitions they are for (see the module comment).
   */
  assigned(assignment: Readonly<Record<string, readonly number[]>>): void {
    this.owned = new Set(
      Object.entries(assignment).flatMap(([topic, partitions]) =>
        partitions.map((partition) => partitionKey(topic, partition)),
      ),
    );
    this.assignment += 1;
    this.pending = new Map();
    this.refusedSince = undefined; // a new join may have found a coordinator that answers
  }

  /** The partitions the group gave this member, or undefined before it first joined. */
  ownedPartitions(): ReadonlySet<string> | undefined {
    return this.owned;
  }

  /** Partitions with a commit waiting or under way: their group commit is about to move. */
  uncommitted(): ReadonlySet<string> {
    return new Set([...this.pending.keys(), ...this.sending.map(keyOf)]);
  }

  /** No more retries: the consumer is gone (stopped, or replaced after a crash). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Commits what is waiting (after any commit already under way, so offsets only move forward
   * in the order they were finished). Never throws: a failed commit is logged and tried again a
   * moment later (see the module comment).
   */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const offsets = [...this.pending.values()];
      const assignment = this.assignment;
      this.pending = new Map();
      this.sending = offsets;
      try {
        await withinDeadline(
          this.target.commitOffsets(offsets),
          this.attemptDeadlineMs,
          'offset commit',
        );
        this.refusedSince = undefined;
      } catch (error) {
        this.logger.warn(
          `could not commit ${offsets.map((o) => `${o.topic}[${o.partition}]@${o.offset}`).join(', ')}, trying again: ${errorMessage(error)}`,
        );
        // After a rebalance under way, the group's commit is what every member reads from.
        if (this.closed || assignment !== this.assignment) return;
        this.refusedSince ??= this.now();
        if (this.now() - this.refusedSince >= this.stuckAfterMs && this.onStuck) {
          const onStuck = this.onStuck;
          this.onStuck = undefined;
          onStuck(error);
        }
        let again = false;
        for (const offset of offsets) again = this.keep(offset) || again;
        if (again) this.schedule(Math.max(this.commitIntervalMs, RETRY_MIN_MS));
      } finally {
        this.sending = [];
      }
    });
    return this.flushing;
  }

  private owns(key: string): boolean {
    return this.owned?.has(key) ?? true;
  }

  /** Keeps `offset` for the next flush unless a further one is waiting; true if kept. */
  private keep(offset: TopicPartitionOffset): boolean {
    const key = keyOf(offset);
    const known = this.pending.get(key);
    if (known && BigInt(known.offset) >= BigInt(offset.offset)) return false;
    this.pending.set(key, offset);
    return true;
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    this.timer ??= setTimeout(() => void this.flush(), delayMs);
  }
}

function keyOf({ topic, partition }: TopicPartitionOffset): string {
  return partitionKey(topic, partition);
}
