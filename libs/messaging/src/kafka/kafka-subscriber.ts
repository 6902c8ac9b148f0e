/**
 * Kafka side of the consumer loop: one kafkajs consumer per subscription, batches processed in
 * partition order, offsets committed manually and only for messages the `ConsumerLoop` has
 * finished (handled or dead-lettered), once per batch. A crash between handling and committing redelivers the
 * message, which idempotent handlers absorb; nothing is committed that was not done.
 */
import { Logger } from '@nestjs/common';
import type { RetryConfig } from '@bridge/config';
import { DEAD_LETTER_TOPIC, type Topic } from '@bridge/contracts';
import { ConsumerLoop, SubscriptionStopped } from '../consumer-loop';
import { EventSubscriber, type Subscription, type SubscriptionSpec } from '../event-bus';
import type { KafkaConnection } from './kafka-connection';
import type { KafkaEventPublisher } from './kafka-publisher';

export class KafkaEventSubscriber extends EventSubscriber {
  private readonly logger = new Logger('KafkaEventSubscriber');

  constructor(
    private readonly connection: KafkaConnection,
    private readonly publisher: KafkaEventPublisher,
    private readonly retryConfig: RetryConfig,
  ) {
    super();
  }

  async subscribe<T extends Topic>(spec: SubscriptionSpec<T>): Promise<Subscription> {
    await this.connection.ensureTopics([...spec.topics, DEAD_LETTER_TOPIC]);
    const loop = new ConsumerLoop(
      spec,
      this.connection.codec,
      (deadLetter, key) => this.publisher.publish(DEAD_LETTER_TOPIC, deadLetter, key),
      this.retryConfig,
    );
    const consumer = this.connection.kafka.consumer({
      groupId: spec.groupId,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      retry: { initialRetryTime: 300, retries: 8 },
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.logger.error(
        `consumer ${spec.groupId} crashed (restart: ${String(payload.restart)}): ${payload.error.message}`,
      );
    });
    await consumer.connect();
    await consumer.subscribe({
      topics: [...spec.topics],
      fromBeginning: spec.fromBeginning ?? true,
    });
    const stopping = new AbortController();
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.connection.config.topicPartitions,
      eachBatch: async (payload) => {
        const { batch } = payload;
        let lastDone: string | undefined;
        try {
          await loop.processBatch(
            batch.messages.map((message) => ({
              topic: batch.topic,
              partition: batch.partition,
              offset: message.offset,
              key: message.key,
              value: message.value,
            })),
            {
              keepAlive: () => payload.heartbeat(),
              shouldStop: () =>
                stopping.signal.aborted || !payload.isRunning() || payload.isStale(),
              onDone: (message) => {
                payload.resolveOffset(message.offset);
                lastDone = message.offset;
              },
            },
          );
        } catch (error) {
          if (!(error instanceof SubscriptionStopped)) throw error;
        } finally {
          if (lastDone !== undefined) {
            await consumer.commitOffsets([
              {
                topic: batch.topic,
                partition: batch.partition,
                offset: (BigInt(lastDone) + 1n).toString(),
              },
            ]);
          }
        }
        await payload.heartbeat();
      },
    });
    return {
      stop: async () => {
        stopping.abort();
        await consumer.disconnect();
      },
    };
  }
}
