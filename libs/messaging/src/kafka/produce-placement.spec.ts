import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { placeMessages, unacknowledgedPartitions } from './produce-placement';

const partitions = (count: number): PartitionMetadata[] =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: partitionId + 1,
    replicas: [1, 2, 3],
    isr: [1, 2, 3],
  }));

const message = (key: string | null) => ({ key, value: Buffer.from(key ?? 'v') });

describe('produce placement', () => {
  it('places each key where kafkajs’s default partitioner puts it, the same every time', () => {
    const partitioner = Partitioners.DefaultPartitioner();
    const metadata = new Map([['runs', partitions(3)]]);
    const keys = Array.from({ length: 30 }, (_, i) => `run-${i}`);
    const placed = placeMessages(
      [{ topic: 'runs', messages: keys.map(message) }],
      metadata,
      partitioner,
    );
    const again = placeMessages(
      [{ topic: 'runs', messages: keys.map(message) }],
      metadata,
      partitioner,
    );
    const reference = Partitioners.DefaultPartitioner();
    placed[0].messages.forEach((m, i) => {
      expect(m.partition).toBe(
        reference({ topic: 'runs', partitionMetadata: partitions(3), message: message(keys[i]) }),
      );
      expect(again[0].messages[i].partition).toBe(m.partition);
    });
    // Thirty keys over three partitions: all of them used.
    expect(new Set(placed[0].messages.map((m) => m.partition))).toEqual(new Set([0, 1, 2]));
  });

  it('places messages without a key too, and refuses a topic it knows no partitions of', () => {
    const partitioner = Partitioners.DefaultPartitioner();
    const placed = placeMessages(
      [{ topic: 'runs', messages: [message(null), message(null)] }],
      new Map([['runs', partitions(3)]]),
      partitioner,
    );
    for (const m of placed[0].messages) expect([0, 1, 2]).toContain(m.partition);
    expect(() =>
      placeMessages([{ topic: 'other', messages: [message('k')] }], new Map(), partitioner),
    ).toThrow(/no partition metadata for other/);
  });

  it('names every partition written to that the acknowledgement leaves out', () => {
    const placed = [
      {
        topic: 'runs',
        messages: [0, 1, 2, 1].map((partition) => ({ ...message('k'), partition })),
      },
      { topic: 'checks', messages: [{ ...message('k'), partition: 0 }] },
    ];
    // What kafkajs answers after a leader moved to a broker that had already answered.
    const acknowledged = [
      { topicName: 'runs', partition: 0 },
      { topicName: 'runs', partition: 2 },
      { topicName: 'checks', partition: 0 },
    ];
    expect(unacknowledgedPartitions(placed, acknowledged)).toEqual(['runs[1]']);
    expect(
      unacknowledgedPartitions(placed, [...acknowledged, { topicName: 'runs', partition: 1 }]),
    ).toEqual([]);
  });
});
