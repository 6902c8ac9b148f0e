/**
 * Publishes events to Kafka in the Confluent wire format. The message key is the ordering key
 * the caller gives (run id, batch id…); the value is validated and Avro-encoded by the codec.
 * Sends made while a request is in flight go together in the next one (`ProduceCoalescer`).
 * What is published while a message is handled carries that message's trace (`traceparent`).
 * A failed send replaces the producer (`KafkaConnection.discardAfterFailedSend` says why).
 * Every message is placed on its partition before the request, and a send whose acknowledgement
 * lacks a partition it wrote to fails (`produce-placement.ts` says why). A send with no answer
 * within `SEND_DEADLINE_MS` fails too: kafkajs retries a send on its own, each try bounded by its
 * request timeout, and every send of the process waits behind the one in flight, so a producer
 * whose connections went stale could otherwise hold every handler of the service for minutes.
 */
import type { EventOf, Topic } from '@bridge/contracts';
import { withinDeadline } from '@bridge/errors';
import { EventPublisher, type OutgoingEvent } from '../event-bus';
import { outgoingTraceHeaders } from '../message-context';
import type { KafkaConnection } from './kafka-connection';
import { ProduceCoalescer } from './produce-coalescer';
import { placeMessages, unacknowledgedPartitions } from './produce-placement';

/** The longest a send may go unanswered before the producer is replaced (see above). */
const SEND_DEADLINE_MS = 60_000;

export class KafkaEventPublisher extends EventPublisher {
  private readonly coalescer: ProduceCoalescer;

  constructor(private readonly connection: KafkaConnection) {
    super();
    this.coalescer = new ProduceCoalescer(async (batch) => {
      const producer = await this.connection.connectedProducer();
      const topicMessages = placeMessages(
        batch,
        await this.connection.partitionsOf(batch.map(({ topic }) => topic)),
        this.connection.partitioner,
      );
      try {
        const acknowledged = await withinDeadline(
          producer.sendBatch({ topicMessages, acks: -1 }),
          SEND_DEADLINE_MS,
          'Kafka send',
        );
        const missing = unacknowledgedPartitions(topicMessages, acknowledged);
        if (missing.length > 0) {
          throw new Error(
            `the broker acknowledged the send without ${missing.join(', ')}: those messages were not written`,
          );
        }
      } catch (error) {
        this.connection.discardAfterFailedSend(producer, error);
        throw error;
      }
    });
  }

  publish<T extends Topic>(topic: T, event: EventOf<T>, key?: string): Promise<void> {
    return this.publishMany(topic, [{ event, key }]);
  }

  async publishMany<T extends Topic>(topic: T, events: OutgoingEvent<T>[]): Promise<void> {
    if (events.length === 0) return;
    const headers = outgoingTraceHeaders();
    const messages = await Promise.all(
      events.map(async ({ event, key }) => ({
        key: key ?? null,
        value: await this.connection.codec.encode(topic, event),
        headers,
      })),
    );
    await this.coalescer.send(topic, messages);
  }

  encode<T extends Topic>(topic: T, event: EventOf<T>): Promise<Buffer> {
    return this.connection.codec.encode(topic, event);
  }

  decode<T extends Topic>(topic: T, bytes: Buffer): Promise<EventOf<T>> {
    return this.connection.codec.decode(topic, bytes);
  }

  /**
   * Publishes bytes as they are, past the codec: what requeueing a dead letter's original bytes
   * needs, and what the transport tests use to send malformed messages.
   */
  publishRaw(topic: string, key: Buffer | string | null, value: Buffer): Promise<void> {
    return this.coalescer.send(topic, [{ key, value, headers: outgoingTraceHeaders() }]);
  }
}
