/**
 * Finds the partitions a consumer owns but has stopped reading, and re-reads them from their
 * group's commit: the Kafka subscriber's last line of defence against lag that never clears.
 *
 * A member reads from where kafkajs *thinks* the group is, which is the commit it read when it
 * joined, moved on by what it handled since. The group's commit can fall behind that without
 * the member knowing, and then nothing ever carries it forward on a partition that receives no
 * more messages:
 *
 * - kafkajs retries a refused commit for up to a minute inside `commitOffsets`, and a retry that
 *   spans a rebalance goes out under the new generation: a member that lost the partition (or
 *   was dropped from the group and joined again) can set the new owner's commit back;
 * - kafkajs answers a commit made while its consumer restarts as done without sending it.
 *
 * The watch therefore judges each owned partition on what the broker says: when no batch of it
 * is running, none has ended for `quietMs`, no commit of it is waiting here, and still the
 * group's commit is behind the log's end, the member seeks to the commit. kafkajs then fetches
 * from there, the messages after the commit are delivered again (the handlers are idempotent:
 * that is what any redelivery after a rebalance costs too) and committed once handled.
 */

import { partitionLag, type PartitionOffsets } from './consumer-lag';

/** A partition as the watch keys it. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** What the member knows of its own work on one partition. */
export interface PartitionActivity {
  /** Batches of the partition running now. */
  running: number;
  /** When a batch last started or ended, or the member was given the partition. */
  lastActiveAt: number;
}

/** What the broker says of one partition for the member's group. */
export interface GroupPartitionOffsets extends PartitionOffsets {
  topic: string;
}

/** What the member knows of its own partitions at one moment. */
export interface MemberState {
  /** Partitions the group gave this member (`partitionKey`). */
  owned: ReadonlySet<string>;
  activity: ReadonlyMap<string, PartitionActivity>;
  /** Partitions with a commit waiting or under way here: their commit is about to move. */
  uncommitted: ReadonlySet<string>;
  now: number;
  quietMs: number;
}

export interface RewindInput extends MemberState {
  offsets: readonly GroupPartitionOffsets[];
  /** Where a group without a commit starts: the beginning, or the end (unknown here). */
  fromBeginning: boolean;
}

export interface Rewind {
  topic: string;
  partition: number;
  /** The offset to read from again: the group's commit (or the first retained message). */
  offset: string;
  /** Messages between that offset and the log's end. */
  behind: number;
}

/**
 * Whether the member's own state lets partition `key` be judged: it is owned here, no batch of
 * it runs or ended within `quietMs`, and no commit of it is waiting.
 */
export function isQuiet(key: string, state: MemberState): boolean {
  if (!state.owned.has(key) || state.uncommitted.has(key)) return false;
  const activity = state.activity.get(key);
  return (
    !activity || (activity.running === 0 && state.now - activity.lastActiveAt >= state.quietMs)
  );
}

/** The quiet partitions whose group commit is behind the log's end (see above). */
export function partitionsToRewind(input: RewindInput): Rewind[] {
  return input.offsets.flatMap((offsets) => {
    if (!isQuiet(partitionKey(offsets.topic, offsets.partition), input)) return [];
    // The lag is counted from where the group reads: its commit, or the first retained message.
    const behind = partitionLag(offsets, input.fromBeginning);
    if (behind === null || behind === 0) return [];
    return [
      {
        topic: offsets.topic,
        partition: offsets.partition,
        offset: (BigInt(offsets.high) - BigInt(behind)).toString(),
        behind,
      },
    ];
  });
}
