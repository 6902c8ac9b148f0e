/**
 * The I/O around `partitionsToRewind`, one per kafkajs consumer: it follows the consumer's
 * batches, asks the broker now and then for the group's commits of the partitions gone quiet,
 * and seeks the consumer back to the commit of each one left behind (see `stalled-partitions`
 * for why a commit falls behind a member's reading).
 */
import { Logger } from '@nestjs/common';
import { errorMessage } from '@bridge/errors';
import { BridgeMetrics } from '@bridge/metrics';
import {
  isQuiet,
  partitionKey,
  partitionsToRewind,
  type GroupPartitionOffsets,
  type MemberState,
  type PartitionActivity,
  type Rewind,
} from './stalled-partitions';

export interface StalledPartitionWatchOptions {
  groupId: string;
  /** Where the group starts on a partition it never committed. */
  fromBeginning: boolean;
  /** Partitions the group gave the member, and those with a commit waiting (the committer). */
  assignment: {
    ownedPartitions(): ReadonlySet<string> | undefined;
    uncommitted(): ReadonlySet<string>;
  };
  /** The group's commits and the retained ranges of `topics` (an admin request). */
  readOffsets(topics: readonly string[]): Promise<GroupPartitionOffsets[]>;
  /** Makes the consumer read `rewind.partition` from `rewind.offset` on its next fetch. */
  seek(rewind: Rewind): void;
  /** How often the quiet partitions are looked at. */
  intervalMs?: number;
  /** How long a partition must have had no batch before its lag is judged. */
  quietMs?: number;
  now?: () => number;
}

export class StalledPartitionWatch {
  private readonly logger: Logger;
  private readonly activity = new Map<string, PartitionActivity & { topic: string }>();
  private readonly timer?: NodeJS.Timeout;
  private checking?: Promise<Rewind[]>;
  /** The last check could not read the group's commits. */
  private unreadable = false;
  private readonly quietMs: number;
  private readonly now: () => number;

  constructor(private readonly options: StalledPartitionWatchOptions) {
    this.logger = new Logger(`StalledPartitionWatch:${options.groupId}`);
    this.quietMs = options.quietMs ?? 20_000;
    this.now = options.now ?? Date.now;
    const intervalMs = options.intervalMs ?? 10_000;
    if (intervalMs > 0) {
      this.timer = setInterval(() => void this.check(), intervalMs);
      this.timer.unref();
    }
  }

  /** The group gave the member a new assignment: each of its partitions gets `quietMs` anew. */
  assigned(assignment: Readonly<Record<string, readonly number[]>>): void {
    this.activity.clear();
    const now = this.now();
    for (const [topic, partitions] of Object.entries(assignment)) {
      for (const partition of partitions) {
        this.activity.set(partitionKey(topic, partition), { topic, running: 0, lastActiveAt: now });
      }
    }
  }

  batchStarted(topic: string, partition: number): void {
    const entry = this.entry(topic, partition);
    entry.running += 1;
    entry.lastActiveAt = this.now();
  }

  batchEnded(topic: string, partition: number): void {
    const entry = this.entry(topic, partition);
    entry.running = Math.max(0, entry.running - 1);
    entry.lastActiveAt = this.now();
  }

  /**
   * Looks at the quiet partitions once and seeks back those left behind; what it rewound. A
   * broker that cannot answer is tried again at the next interval.
   */
  check(): Promise<Rewind[]> {
    this.checking ??= this.checkOnce()
      .then((rewinds) => {
        this.unreadable = false;
        return rewinds;
      })
      .catch((error: unknown) => {
        // Said once a streak: while the broker cannot answer, this watch is blind.
        const line = `could not read the group's commits: ${errorMessage(error)}`;
        if (this.unreadable) this.logger.debug(line);
        else this.logger.warn(`${line}; trying again every interval`);
        this.unreadable = true;
        return [];
      })
      .finally(() => {
        this.checking = undefined;
      });
    return this.checking;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private async checkOnce(): Promise<Rewind[]> {
    const owned = this.options.assignment.ownedPartitions();
    if (!owned) return [];
    // Only the topics of partitions that could be judged are asked about.
    const before = this.memberState(owned);
    const topics = new Set(
      [...this.activity].filter(([key]) => isQuiet(key, before)).map(([, a]) => a.topic),
    );
    if (topics.size === 0) return [];
    const offsets = await this.options.readOffsets([...topics]);
    // Judged on the state after the read: a batch may have started while it was under way.
    const rewinds = partitionsToRewind({
      ...this.memberState(owned),
      offsets,
      fromBeginning: this.options.fromBeginning,
    });
    for (const rewind of rewinds) {
      this.logger.warn(
        `re-reading ${rewind.topic}[${rewind.partition}] from the group's commit ${rewind.offset}: ` +
          `${rewind.behind} message(s) behind the log's end, and none delivered here for ${this.quietMs} ms`,
      );
      BridgeMetrics.partitionRewinds.inc({ group: this.options.groupId, topic: rewind.topic });
      this.options.seek(rewind);
      this.entry(rewind.topic, rewind.partition).lastActiveAt = this.now();
    }
    return rewinds;
  }

  private memberState(owned: ReadonlySet<string>): MemberState {
    return {
      owned,
      activity: this.activity,
      uncommitted: this.options.assignment.uncommitted(),
      now: this.now(),
      quietMs: this.quietMs,
    };
  }

  private entry(topic: string, partition: number): PartitionActivity & { topic: string } {
    const key = partitionKey(topic, partition);
    let entry = this.activity.get(key);
    if (!entry) {
      entry = { topic, running: 0, lastActiveAt: this.now() };
      this.activity.set(key, entry);
    }
    return entry;
  }
}
