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
 * A refused commit (the group's coordinator moving to another broker, say) is tried again, for
 * the partitions this member still owns: otherwise the last messages of a partition that
 * receives no more would stay uncommitted, shown as lag, until some rebalance delivered them
 * again. Partitions that moved to another member are left to it (it reads from the last commit),
 * so that a late retry never moves the new owner's commit back.
 */
import { Logger } from '@nestjs/common';
import { errorMessage } from '@bridge/errors';

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

export class OffsetCommitter {
  private readonly logger = new Logger('OffsetCommitter');
  private pending = new Map<string, TopicPartitionOffset>();
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly target: OffsetCommitTarget,
    private readonly commitIntervalMs: number,
  ) {}

  /** `offset` of `topic[partition]` is finished: it is committed with the next flush. */
  finished(topic: string, partition: number, offset: string): void {
    if (this.keep({ topic, partition, offset: (BigInt(offset) + 1n).toString() })) {
      if (this.commitIntervalMs <= 0) void this.flush();
      else this.schedule(this.commitIntervalMs);
    }
  }

  /**
   * The group gave this member `assignment` (topic to partitions): commits still waiting for
   * partitions it no longer owns are dropped, their new owners read from the last commit.
   */
  assigned(assignment: Readonly<Record<string, readonly number[]>>): void {
    for (const [key, { topic, partition }] of this.pending) {
      if (!assignment[topic]?.includes(partition)) this.pending.delete(key);
    }
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
      this.pending = new Map();
      try {
        await this.target.commitOffsets(offsets);
      } catch (error) {
        this.logger.warn(
          `could not commit ${offsets.map((o) => `${o.topic}[${o.partition}]@${o.offset}`).join(', ')}, trying again: ${errorMessage(error)}`,
        );
        if (this.closed) return;
        let again = false;
        for (const offset of offsets) again = this.keep(offset) || again;
        if (again) this.schedule(Math.max(this.commitIntervalMs, RETRY_MIN_MS));
      }
    });
    return this.flushing;
  }

  /** Keeps `offset` for the next flush unless a further one is waiting; true if kept. */
  private keep(offset: TopicPartitionOffset): boolean {
    const key = `${offset.topic}\u0000${offset.partition}`;
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
