/**
 * A produce request the broker wrote but whose answer never came, after kafkajs has spent its
 * retries: kafkajs counts a send's records into the partition's sequence before it goes and
 * takes them out again when it fails. Within one send that is right (its retry repeats the
 * sequence, and the broker acknowledges the repeat as a duplicate: `lost-produce-answer.int-spec.ts`
 * shows it on a real cut). Once the retries are spent and the send fails to its caller, the
 * producer's next send carries other records under the taken-back numbers: the broker refuses it
 * as out of order, and every later send of that producer too (`OUT_OF_ORDER_SEQUENCE_NUMBER`), or
 * drops a same-sized batch as a duplicate. The publisher therefore replaces the producer after a
 * failed send; this test shows that it recovers: the next send is refused, every later one goes
 * through on a new producer.
 *
 * Spending ten retries through real cuts takes kafkajs's backoff about two minutes, so the state
 * they leave is recreated directly: the sequence is reached through kafkajs's own producer-state
 * module, wrapped so that the test gets hold of each producer's state, and taken back after a
 * written send.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type * as Messaging from '@bridge/messaging';
import { stackConfig } from '../../../test/stack-config';

interface ProducerSequences {
  getSequence(topic: string, partition: number): number;
  updateSequence(topic: string, partition: number, increment: number): void;
}

/** The producer state of every kafkajs producer created in this file, oldest first. */
const mockProducerStates: ProducerSequences[] = [];

// Before anything loads kafkajs: the messaging library is imported only in `beforeAll`.
jest.mock('kafkajs/src/producer/eosManager', () => {
  const actual = jest.requireActual<(options: unknown) => ProducerSequences>(
    'kafkajs/src/producer/eosManager',
  );
  return (options: unknown) => {
    const state = actual(options);
    mockProducerStates.push(state);
    return state;
  };
});

type KafkaTransport = Extract<Messaging.Transport, { kind: 'kafka' }>;

/** Loaded once the mock is in place; a variable, so that TypeScript leaves the import alone. */
const MESSAGING = '@bridge/messaging';

describe('a send that failed to its caller after the broker wrote it', () => {
  let transport: KafkaTransport;
  const topic = `retries-exhausted-${randomUUID()}`;

  beforeAll(async () => {
    const { createTransport } = (await import(MESSAGING)) as typeof Messaging;
    const created = createTransport(stackConfig());
    if (created.kind !== 'kafka') throw new Error('expected Kafka');
    transport = created;
    const admin = transport.connection.kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
  });

  afterAll(async () => {
    const admin = transport.connection.kafka.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    await transport.connection.close();
  });

  const publish = (...values: string[]) =>
    Promise.all(
      values.map((value) => transport.publisher.publishRaw(topic, 'k', Buffer.from(value))),
    );

  it('costs the one send that follows it, not every later one', async () => {
    await publish('first-1', 'first-2', 'first-3'); // one request: the calls join
    const state = mockProducerStates.at(-1);
    if (!state) throw new Error('kafkajs created no producer state');
    expect(state.getSequence(topic, 0)).toBe(3);
    state.updateSequence(topic, 0, -3); // what kafkajs does when the answer of a written batch is lost

    await expect(publish('refused')).rejects.toThrow(/out of order sequence number/);
    await publish('after-1');
    await publish('after-2', 'after-3');

    expect(mockProducerStates.at(-1)).not.toBe(state); // a new producer
    const admin = transport.connection.kafka.admin();
    await admin.connect();
    try {
      const [partition] = await admin.fetchTopicOffsets(topic);
      expect(Number(partition.high)).toBe(6); // three before, three after, none refused
    } finally {
      await admin.disconnect();
    }
  });
});
