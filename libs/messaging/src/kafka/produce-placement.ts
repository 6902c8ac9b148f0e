/**
 * Which partition each message of a produce request goes to, decided before the request, and the
 * check that the broker acknowledged every partition the request wrote to. Used by
 * `KafkaEventPublisher` for every send.
 *
 * Why it exists: kafkajs (2.2) retries a request whose partition leader moved by sending again
 * only to the brokers that have not answered yet. When the partition moved to a broker that had
 * already answered for partitions of its own, that partition's messages are never sent, and the
 * send still resolves: on a replicated cluster, killing a partition leader under load lost events
 * that way (the cluster fault suite found eight; kafkajs issue 1303 reports the same loss, and a
 * fix was proposed upstream but not released). With the partitions placed here, an
 * acknowledgement without one of them is visible, and the send fails so that its callers send
 * again (at-least-once; consumers deduplicate by event id).
 *
 * Placement is kafkajs's own default partitioner (murmur2 of the key, as Java's), so a key lands
 * where it always did.
 */
import type { PartitionMetadata, PartitionerArgs } from 'kafkajs';
import type { TopicMessages } from './produce-coalescer';

export type Partitioner = (args: PartitionerArgs) => number;

/** The batch with a partition on every message, from each topic's partition metadata. */
export function placeMessages(
  batch: readonly TopicMessages[],
  partitionsOf: ReadonlyMap<string, PartitionMetadata[]>,
  partitioner: Partitioner,
): TopicMessages[] {
  return batch.map(({ topic, messages }) => {
    const partitionMetadata = partitionsOf.get(topic);
    if (!partitionMetadata || partitionMetadata.length === 0) {
      throw new Error(`no partition metadata for ${topic}`);
    }
    return {
      topic,
      messages: messages.map((message) => ({
        ...message,
        partition: partitioner({ topic, partitionMetadata, message }),
      })),
    };
  });
}

/** `topic[partition]` of every placed partition the acknowledgement does not name. */
export function unacknowledgedPartitions(
  placed: readonly TopicMessages[],
  acknowledged: ReadonlyArray<{ topicName: string; partition: number }>,
): string[] {
  const answered = new Set(acknowledged.map((ack) => `${ack.topicName}[${ack.partition}]`));
  const written = new Set(
    placed.flatMap(({ topic, messages }) =>
      messages.map((message) => `${topic}[${message.partition ?? '?'}]`),
    ),
  );
  return [...written].filter((name) => !answered.has(name));
}
