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

export class OffsetCommitter {
  private readonly logger = new Logger('OffsetCommitter');
  private pending = new Map<string, TopicPartitionOffset>();
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly target: OffsetCommitTarget,
    private readonly commitIntervalMs: number,
  ) {}

  /** `offset` of `topic[partition]` is finished: it is committed with the next flush. */
  finished(topic: string, partition: number, offset: string): void {
    const next = BigInt(offset) + 1n;
    const key = `${topic}\u0000${partition}`;
    const known = this.pending.get(key);
    if (known && BigInt(known.offset) >= next) return;
    this.pending.set(key, { topic, partition, offset: next.toString() });
    if (this.commitIntervalMs <= 0) {
      void this.flush();
    } else {
      this.timer ??= setTimeout(() => void this.flush(), this.commitIntervalMs);
    }
  }

  /**
   * Commits what is waiting (after any commit already under way, so offsets only move forward
   * in the order they were finished). Never throws: a failed commit is logged and its messages
   * are redelivered, to this consumer or, after a rebalance, to the partition's new owner.
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
          `could not commit ${offsets.map((o) => `${o.topic}[${o.partition}]@${o.offset}`).join(', ')}: ${errorMessage(error)}`,
        );
      }
    });
    return this.flushing;
  }
}
