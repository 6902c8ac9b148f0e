/**
 * The consumer loop's per-message logic, shared by both transports: decode, run the handler with
 * retries and backoff, and dead-letter what cannot be decoded or keeps failing.
 *
 * The transports only move bytes and offsets. They call `process` for each message in partition
 * order and commit the offset once it resolves; it resolves when the message was handled *or*
 * safely dead-lettered, so a poison message never blocks its partition. It rejects only when the
 * dead letter itself cannot be written, and then the transport must not commit.
 */
import { Logger } from '@nestjs/common';
import { ExponentialBackoff, handleWhen, retry, type RetryPolicy } from 'cockatiel';
import type { RetryConfig } from '@bridge/config';
import { isTopic, type DeadLetter, type Topic } from '@bridge/contracts';
import { PermanentError, UndecodableMessageError } from '@bridge/errors';
import { buildDeadLetter } from './dead-letter';
import type { EventCodec } from './event-codec';
import type { ReceivedEvent, SubscriptionSpec } from './event-bus';
import type { RawMessage } from './raw-message';

export type ProcessOutcome = 'handled' | 'dead-lettered';

/** Where dead letters go; the transport provides it (a Kafka topic or the in-process bus). */
export type DeadLetterSink = (deadLetter: DeadLetter, key: string) => Promise<void>;

export class ConsumerLoop<T extends Topic> {
  private readonly logger: Logger;
  private readonly policy: RetryPolicy;

  constructor(
    private readonly spec: SubscriptionSpec<T>,
    private readonly codec: EventCodec,
    private readonly sendDeadLetter: DeadLetterSink,
    retryConfig: RetryConfig,
  ) {
    this.logger = new Logger(`ConsumerLoop:${spec.groupId}`);
    this.policy = retry(
      handleWhen((error) => !(error instanceof PermanentError)),
      {
        maxAttempts: Math.max(0, retryConfig.maxAttempts - 1),
        backoff: new ExponentialBackoff({
          initialDelay: retryConfig.initialDelayMs,
          maxDelay: retryConfig.maxDelayMs,
        }),
      },
    );
  }

  /**
   * @param onRetry called before each retry, so a transport can keep its session alive
   *   (Kafka heartbeats) while a handler backs off.
   */
  async process(
    message: RawMessage,
    onRetry: () => Promise<void> = async () => {},
  ): Promise<ProcessOutcome> {
    let attempts = 0;
    try {
      await this.policy.execute(async () => {
        if (attempts > 0) await onRetry();
        attempts += 1;
        const received = await this.decode(message, attempts);
        await this.spec.handler(received);
      });
      return 'handled';
    } catch (error) {
      const deadLetter = buildDeadLetter(message, this.spec.groupId, error, attempts);
      this.logger.warn(
        `dead-lettering ${message.topic}[${message.partition}]@${message.offset} after ${attempts} attempt(s): ${deadLetter.reason}`,
      );
      await this.sendDeadLetter(deadLetter, message.topic);
      return 'dead-lettered';
    }
  }

  private async decode(message: RawMessage, attempt: number): Promise<ReceivedEvent<T>> {
    const topic = message.topic;
    if (!isTopic(topic) || !(this.spec.topics as readonly string[]).includes(topic)) {
      throw new UndecodableMessageError(`no schema is known for topic ${topic}`);
    }
    if (message.value === null || message.value.length === 0) {
      throw new UndecodableMessageError('message has no value (tombstone or empty body)');
    }
    const event = await this.codec.decode(topic, message.value);
    return {
      topic,
      event,
      key: message.key?.toString('utf8') ?? null,
      partition: message.partition,
      offset: message.offset,
      attempt,
    } as ReceivedEvent<T>;
  }
}
