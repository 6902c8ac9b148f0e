/**
 * Publishes events to Kafka in the Confluent wire format. The message key is the ordering key
 * the caller gives (run id, batch id…); the value is validated and Avro-encoded by the codec.
 */
import type { EventOf, Topic } from '@bridge/contracts';
import { EventPublisher, type OutgoingEvent } from '../event-bus';
import type { KafkaConnection } from './kafka-connection';

export class KafkaEventPublisher extends EventPublisher {
  constructor(private readonly connection: KafkaConnection) {
    super();
  }

  publish<T extends Topic>(topic: T, event: EventOf<T>, key?: string): Promise<void> {
    return this.publishMany(topic, [{ event, key }]);
  }

  async publishMany<T extends Topic>(topic: T, events: OutgoingEvent<T>[]): Promise<void> {
    if (events.length === 0) return;
    const messages = await Promise.all(
      events.map(async ({ event, key }) => ({
        key: key ?? null,
        value: await this.connection.codec.encode(topic, event),
      })),
    );
    const producer = await this.connection.connectedProducer();
    await producer.send({ topic, messages, acks: -1 });
  }

  encode<T extends Topic>(topic: T, event: EventOf<T>): Promise<Buffer> {
    return this.connection.codec.encode(topic, event);
  }

  /**
   * Publishes bytes as they are, past the codec: what requeueing a dead letter's original bytes
   * needs, and what the transport tests use to send malformed messages.
   */
  async publishRaw(topic: string, key: Buffer | string | null, value: Buffer): Promise<void> {
    const producer = await this.connection.connectedProducer();
    await producer.send({ topic, messages: [{ key, value }], acks: -1 });
  }
}
