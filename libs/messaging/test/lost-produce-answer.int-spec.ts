/**
 * A produce request the broker wrote but whose answer was lost: the connection cut after the
 * request reached the broker and before its answer reached the client. The publisher cannot
 * know whether the records were written. Here the cut is real: a broker of this file advertises
 * a `TcpLink` in front of it, which lets a whole produce request through and cuts the connection
 * as the answer comes back.
 *
 * What must hold: every record sent is on the topic (the send either succeeded after all, or
 * failed and was sent again by its caller, as Bridge's callers do), a record is there twice only
 * when its send failed and was repeated (consumers deduplicate by event id), and every later send
 * goes through: an idempotent producer whose sequence went wrong would be refused for good
 * (`OUT_OF_ORDER_SEQUENCE_NUMBER`), which is why the publisher replaces it after a failed send.
 */
import { randomUUID } from 'node:crypto';
import { createTransport, type Transport } from '@bridge/messaging';
import { PrivateBroker } from '../../../test/private-broker';
import { stackConfig } from '../../../test/stack-config';

type KafkaTransport = Extract<Transport, { kind: 'kafka' }>;

describe('a produce answer lost after the broker wrote it', () => {
  const broker = new PrivateBroker({ linked: true });
  let transport: KafkaTransport;
  const topic = `lost-answer-${randomUUID()}`;

  beforeAll(async () => {
    await broker.up();
    const created = createTransport(stackConfig({ KAFKA_BROKERS: broker.brokers }));
    if (created.kind !== 'kafka') throw new Error('expected Kafka');
    transport = created;
    const admin = broker.kafka('lost-answer-setup').admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
  }, 180_000);

  afterAll(async () => {
    await transport?.connection.close();
    await broker.remove();
  }, 60_000);

  /** Sends `values` together; the values whose send failed. */
  const publish = async (...values: string[]): Promise<string[]> => {
    const sent = await Promise.allSettled(
      values.map((value) => transport.publisher.publishRaw(topic, 'k', Buffer.from(value))),
    );
    return values.filter((_, i) => sent[i].status === 'rejected');
  };

  it('loses nothing, doubles only what its caller re-sent, and keeps sending afterwards', async () => {
    expect(await publish('before')).toEqual([]);
    broker.link.cutAfterProduce(1);
    const failed = await publish('cut-1', 'cut-2', 'cut-3');
    expect(broker.link.cutProduces).toBe(1); // the request went through whole, its answer did not
    // What a caller does with a send that failed: sends it again.
    expect(await publish(...failed)).toEqual([]);
    for (let i = 0; i < 5; i += 1) expect(await publish(`after-${i}`)).toEqual([]);

    const values = await readAll(broker, topic);
    const expected = [
      'before',
      'cut-1',
      'cut-2',
      'cut-3',
      ...[0, 1, 2, 3, 4].map((i) => `after-${i}`),
    ];
    const copies = Object.fromEntries(
      expected.map((value) => [value, values.filter((v) => v === value).length]),
    );
    // Exactly once, except what failed and was re-sent: once (not written) or twice (written).
    const allowed = Object.fromEntries(
      expected.map((value) => [value, failed.includes(value) && copies[value] === 2 ? 2 : 1]),
    );
    expect(copies).toEqual(allowed);
    expect(values.filter((value) => !expected.includes(value))).toEqual([]);
  });
});

/** Every record value on partition 0 of `topic`, in order. */
async function readAll(broker: PrivateBroker, topic: string): Promise<string[]> {
  const kafka = broker.kafka('lost-answer-reader');
  const admin = kafka.admin();
  await admin.connect();
  const [{ high }] = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId: `lost-answer-${randomUUID()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const values: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${values.length} of ${high}`)), 30_000);
    void consumer.run({
      eachMessage: ({ message }) => {
        values.push(message.value?.toString() ?? '');
        if (BigInt(message.offset) + 1n >= BigInt(high)) {
          clearTimeout(timer);
          resolve();
        }
        return Promise.resolve();
      },
    });
  });
  await consumer.disconnect();
  return values;
}
