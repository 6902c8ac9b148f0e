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
 * again. Partitions that moved to another member are left to it (it reads from the last commit).
 *
 * The member's own position in each partition it owns is also committed again every
 * `reassertMs`. A commit can land where it should not: kafkajs retries a refused commit inside
 * `commitOffsets` for up to a minute, and a retry that spans a rebalance goes out under the new
 * generation, for a partition this member may no longer own; the broker accepts it and moves the
 * new owner's commit back. kafkajs also answers a commit made while its consumer restarts as
 * done without sending it. Either way the owner has read further than its group's commit says,
 * and a partition that receives nothing more would show lag (and redeliver on the next
 * rebalance) for ever. Re-asserting the owner's position mends both within `reassertMs`, at the
 * cost of one small request per interval while the consumer is idle.
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

export interface OffsetCommitterOptions {
  /** How often the member's position in each partition it owns is committed again. */
  reassertMs?: number;
}

export class OffsetCommitter {
  private readonly logger = new Logger('OffsetCommitter');
  private pending = new Map<string, TopicPartitionOffset>();
  /** The next offset to read of every partition this member owns and has finished work in. */
  private readonly positions = new Map<string, TopicPartitionOffset>();
  /** Partitions the group gave this member (`topic\0partition`); unknown until it joined. */
  private owned?: Set<string>;
  private timer?: NodeJS.Timeout;
  private readonly reassertTimer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly target: OffsetCommitTarget,
    private readonly commitIntervalMs: number,
    { reassertMs = 10_000 }: OffsetCommitterOptions = {},
  ) {
    if (reassertMs > 0) {
      this.reassertTimer = setInterval(() => this.reassert(), reassertMs);
      this.reassertTimer.unref();
    }
  }

  /**
   * `offset` of `topic[partition]` is finished: it is committed with the next flush. A batch
   * that ends after its partition moved to another member commits nothing: the new owner reads
   * from the last commit, and a commit from here could only set its commit back.
   */
  finished(topic: string, partition: number, offset: string): void {
    const next = { topic, partition, offset: (BigInt(offset) + 1n).toString() };
    if (!this.owns(keyOf(next))) {
      // Should not happen (kafkajs ends batches before it rejoins); said, so a stall shows why.
      this.logger.warn(`not committing ${topic}[${partition}]@${next.offset}: not assigned here`);
      return;
    }
    advance(this.positions, next);
    if (this.keep(next)) {
      if (this.commitIntervalMs <= 0) void this.flush();
      else this.schedule(this.commitIntervalMs);
    }
  }

  /**
   * The group gave this member `assignment` (topic to partitions): commits still waiting for
   * partitions it no longer owns are dropped, their new owners read from the last commit.
   */
  assigned(assignment: Readonly<Record<string, readonly number[]>>): void {
    this.owned = new Set(
      Object.entries(assignment).flatMap(([topic, partitions]) =>
        partitions.map((partition) => keyOf({ topic, partition })),
      ),
    );
    for (const map of [this.pending, this.positions]) {
      for (const key of map.keys()) if (!this.owns(key)) map.delete(key);
    }
  }

  /** No more retries: the consumer is gone (stopped, or replaced after a crash). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    clearInterval(this.reassertTimer);
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
        for (const offset of offsets) {
          // A partition that moved while this commit was under way is its new owner's.
          if (this.owns(keyOf(offset))) again = this.keep(offset) || again;
        }
        if (again) this.schedule(Math.max(this.commitIntervalMs, RETRY_MIN_MS));
      }
    });
    return this.flushing;
  }

  /** Commits this member's position in every partition it owns again (see the module comment). */
  private reassert(): void {
    if (this.closed || this.positions.size === 0) return;
    for (const position of this.positions.values()) this.keep(position);
    void this.flush();
  }

  private owns(key: string): boolean {
    return this.owned?.has(key) ?? true;
  }

  /** Keeps `offset` for the next flush unless a further one is waiting; true if kept. */
  private keep(offset: TopicPartitionOffset): boolean {
    return advance(this.pending, offset);
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    this.timer ??= setTimeout(() => void this.flush(), delayMs);
  }
}

function keyOf({ topic, partition }: { topic: string; partition: number }): string {
  return `${topic}\u0000${partition}`;
}

/** Sets `offset` in `map` unless the one there is as far or further; true if set. */
function advance(map: Map<string, TopicPartitionOffset>, offset: TopicPartitionOffset): boolean {
  const key = keyOf(offset);
  const known = map.get(key);
  if (known && BigInt(known.offset) >= BigInt(offset.offset)) return false;
  map.set(key, offset);
  return true;
}
