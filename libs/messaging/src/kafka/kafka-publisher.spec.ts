import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Partitioners, type PartitionMetadata, type Producer } from 'kafkajs';
import type { KafkaConnection } from './kafka-connection';
import { KafkaEventPublisher } from './kafka-publisher';

const ONE_PARTITION: PartitionMetadata[] = [
  {
    partitionId: 0,
    leader: 1,
    replicas: [1],
    isr: [1],
    partitionErrorCode: 0,
    offlineReplicas: [],
  },
];

/** The parts of a connection a publisher uses; each producer's sendBatch is `send`. */
function fakeConnection(send: (producer: number) => Promise<unknown>) {
  let current: { id: number; producer: Producer } | undefined;
  let made = 0;
  const discarded: number[] = [];
  const connection = {
    partitioner: Partitioners.DefaultPartitioner(),
    partitionsOf: (topics: string[]) =>
      Promise.resolve(new Map(topics.map((topic) => [topic, ONE_PARTITION]))),
    connectedProducer: () => {
      if (!current) {
        const id = (made += 1);
        current = { id, producer: { sendBatch: () => send(id) } as unknown as Producer };
      }
      return Promise.resolve(current.producer);
    },
    discardAfterFailedSend: (producer: Producer) => {
      if (current?.producer !== producer) return;
      discarded.push(current.id);
      current = undefined;
    },
  };
  return { connection: connection as unknown as KafkaConnection, discarded };
}

describe('KafkaEventPublisher', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('fails a send that is never answered and gives the next one a new producer', async () => {
    jest.useFakeTimers();
    const { connection, discarded } = fakeConnection((producer) =>
      producer === 1
        ? new Promise(() => undefined) // its connections went stale: no answer, ever
        : Promise.resolve([{ topicName: 'runs', partition: 0, errorCode: 0 }]),
    );
    const publisher = new KafkaEventPublisher(connection);

    const first = publisher.publishRaw('runs', 'run-1', Buffer.from('a'));
    const failed = expect(first).rejects.toThrow(/Kafka send: no answer within 60000 ms/);
    await jest.advanceTimersByTimeAsync(59_000);
    expect(discarded).toEqual([]);
    await jest.advanceTimersByTimeAsync(1_000);
    await failed;
    expect(discarded).toEqual([1]);

    jest.useRealTimers();
    await expect(publisher.publishRaw('runs', 'run-1', Buffer.from('a'))).resolves.toBeUndefined();
    expect(discarded).toEqual([1]);
  });
});
