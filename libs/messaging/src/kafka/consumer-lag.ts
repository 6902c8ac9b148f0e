/**
 * Consumer lag of a Kafka consumer group, for the `bridge_consumer_lag` gauge: per partition,
 * the messages between the group's committed offset and the partition's end.
 */

/** What the broker says about one partition: its retained range and the group's commit. */
export interface PartitionOffsets {
  partition: number;
  /** Offset of the first retained message. */
  low: string;
  /** Offset the next message will get (the log end). */
  high: string;
  /** The group's committed offset, or '-1' when the group never committed on this partition. */
  committed: string;
}

/**
 * Messages the group has yet to finish on the partition, or null when that is unknown. Without
 * a commit, a group that starts from the beginning has everything retained ahead of it; one
 * that starts at the end began wherever the log ended when it joined, which the broker does
 * not record, so its lag is unknown until its first commit. A commit below the retained range
 * (messages deleted by retention) counts from the start of the range.
 */
export function partitionLag(
  { low, high, committed }: PartitionOffsets,
  fromBeginning: boolean,
): number | null {
  const end = BigInt(high);
  const start = BigInt(low);
  if (committed === '-1' && !fromBeginning) return null;
  const from = committed === '-1' || BigInt(committed) < start ? start : BigInt(committed);
  return end > from ? Number(end - from) : 0;
}
