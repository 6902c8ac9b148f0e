/**
 * Kafka side of the consumer loop: one kafkajs consumer per subscription, batches processed in
 * partition order, offsets committed manually and only for messages the `ConsumerLoop` has
 * finished (handled or dead-lettered), by an `OffsetCommitter` that joins the commits of an
 * interval into one request. A crash between handling and committing redelivers the message,
 * which idempotent handlers absorb; nothing is committed that was not done.
 *
 * Each consumer also has a `StalledPartitionWatch`, which seeks a partition back to its group's
 * commit when that commit fell behind what the member read and nothing more arrives to carry it
 * forward.
 *
 * A consumer that kafkajs gives up on (a non-retriable crash, e.g. the group coordinator forgot
 * the member after a long pause), or whose commits are all refused for 30 s, is replaced by
 * a fresh one, so a subscription never dies silently while its process still reports healthy.
 * A broker out of reach while a subscription starts (a service starting, or restarted, during a
 * broker restart) is waited out the same way rather than failing the process: its readiness
 * says the broker is down meanwhile.
 */
import { Logger } from '@nestjs/common';
import type { Consumer, EachBatchPayload, IHeaders } from 'kafkajs';
import type { RetryConfig } from '@bridge/config';
import { errorMessage, isInfrastructureOutage } from '@bridge/errors';
import { DEAD_LETTER_TOPIC, type Topic } from '@bridge/contracts';
import { BridgeMetrics } from '@bridge/metrics';
import { ConsumerLoop, SubscriptionStopped } from '../consumer-loop';
import { EventSubscriber, type Subscription, type SubscriptionSpec } from '../event-bus';
import { TRACEPARENT_HEADER } from '../message-context';
import type { KafkaConnection } from './kafka-connection';
import type { KafkaEventPublisher } from './kafka-publisher';
import { OffsetCommitter } from './offset-committer';
import { StalledPartitionWatch } from './stalled-partition-watch';

const RESTART_DELAY_MS = 1_000;
const START_RETRY_MAX_MS = 15_000;

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
    const loop = new ConsumerLoop(
      spec,
      this.connection.codec,
      (deadLetter, key) => this.publisher.publish(DEAD_LETTER_TOPIC, deadLetter, key),
      this.retryConfig,
    );
    const stopping = new AbortController();
    let { consumer, committer, watch } = await this.firstStart(spec, loop, stopping.signal);
    let restarting: Promise<void> | undefined;
    const restart = (): Promise<void> => {
      // One restart at a time: overlapping crash events must not leave a second consumer behind.
      restarting ??= (async () => {
        for (;;) {
          await committer.flush();
          committer.close();
          watch.close();
          await consumer.disconnect().catch(() => undefined);
          await new Promise((resolve) => setTimeout(resolve, RESTART_DELAY_MS));
          if (stopping.signal.aborted) return;
          try {
            const replacement = await this.startConsumer(spec, loop, stopping.signal, restart);
            ({ consumer, committer, watch } = replacement);
            if (stopping.signal.aborted) await consumer.disconnect();
            else this.logger.warn(`consumer ${spec.groupId} restarted`);
            return;
          } catch (error) {
            this.logger.error(`consumer ${spec.groupId} could not restart: ${errorMessage(error)}`);
          }
        }
      })().finally(() => {
        restarting = undefined;
      });
      return restarting;
    };
    this.watchCrashes(consumer, spec.groupId, restart);
    this.watchCommits(committer, spec.groupId, restart);
    const removeLagSource = BridgeMetrics.consumerLag.addSource(async () =>
      (
        await this.connection.consumerLag(spec.groupId, spec.topics, spec.fromBeginning ?? true)
      ).map(({ topic, partition, lag }) => ({
        labels: { group: spec.groupId, topic, partition },
        value: lag,
      })),
    );
    return {
      stop: async () => {
        removeLagSource();
        stopping.abort();
        await restarting;
        // Batches still running flush their own offsets as they end (the group is left only
        // after them); this commits those that ended before.
        await committer.flush();
        committer.close();
        watch.close();
        await consumer.disconnect();
      },
    };
  }

  /** Creates the topics and starts the consumer, waiting out a broker out of reach. */
  private async firstStart<T extends Topic>(
    spec: SubscriptionSpec<T>,
    loop: ConsumerLoop<T>,
    stopping: AbortSignal,
  ): Promise<StartedConsumer> {
    let wait = RESTART_DELAY_MS;
    for (;;) {
      try {
        await this.connection.ensureTopics([...spec.topics, DEAD_LETTER_TOPIC]);
        return await this.startConsumer(spec, loop, stopping);
      } catch (error) {
        if (!isInfrastructureOutage(error)) throw error;
        this.logger.warn(
          `consumer ${spec.groupId} could not start, trying again in ${wait} ms: ${errorMessage(error)}`,
        );
        await new Promise((resolve) => setTimeout(resolve, wait));
        wait = Math.min(wait * 2, START_RETRY_MAX_MS);
      }
    }
  }

  private async startConsumer<T extends Topic>(
    spec: SubscriptionSpec<T>,
    loop: ConsumerLoop<T>,
    stopping: AbortSignal,
    restart?: () => Promise<void>,
  ): Promise<StartedConsumer> {
    const consumer = this.connection.kafka.consumer({
      groupId: spec.groupId,
      sessionTimeout: this.connection.config.sessionTimeoutMs,
      // A third of the session at most, as Kafka recommends, so two lost heartbeats are survived.
      heartbeatInterval: Math.min(3_000, Math.floor(this.connection.config.sessionTimeoutMs / 3)),
      retry: { initialRetryTime: 300, retries: 8 },
    });
    const committer = new OffsetCommitter(consumer, this.connection.config.commitIntervalMs);
    if (restart) {
      this.watchCrashes(consumer, spec.groupId, restart);
      this.watchCommits(committer, spec.groupId, restart);
    }
    const watch = new StalledPartitionWatch({
      groupId: spec.groupId,
      fromBeginning: spec.fromBeginning ?? true,
      assignment: committer,
      readOffsets: (topics) => this.connection.groupOffsets(spec.groupId, topics),
      seek: ({ topic, partition, offset }) => consumer.seek({ topic, partition, offset }),
    });
    // Partitions may move to another member: hand over what is finished before they do.
    consumer.on(consumer.events.REBALANCING, () => void committer.flush());
    // What could not be committed before they moved is read again from the group's commit.
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      committer.assigned(payload.memberAssignment);
      watch.assigned(payload.memberAssignment);
    });
    try {
      await consumer.connect();
      await consumer.subscribe({
        topics: [...spec.topics],
        fromBeginning: spec.fromBeginning ?? true,
      });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.connection.config.topicPartitions,
        eachBatch: async (payload) => {
          const { topic, partition } = payload.batch;
          watch.batchStarted(topic, partition);
          try {
            await this.handleBatch(committer, loop, payload, stopping);
          } finally {
            watch.batchEnded(topic, partition);
          }
        },
      });
    } catch (error) {
      // A consumer half started must not stay connected behind the one that replaces it.
      watch.close();
      committer.close();
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
    return { consumer, committer, watch };
  }

  private watchCrashes(consumer: Consumer, groupId: string, restart: () => Promise<void>): void {
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.logger.error(
        `consumer ${groupId} crashed (kafkajs restarts it: ${String(payload.restart)}): ${payload.error.message}`,
      );
      if (!payload.restart) void restart();
    });
  }

  /** A consumer whose commits are refused on end is replaced (see `OffsetCommitter`). */
  private watchCommits(
    committer: OffsetCommitter,
    groupId: string,
    restart: () => Promise<void>,
  ): void {
    committer.whenStuck((error) => {
      this.logger.error(
        `consumer ${groupId}: every commit refused for ${committer.stuckAfterMs} ms (${errorMessage(error)}); replacing the consumer`,
      );
      void restart();
    });
  }

  private async handleBatch<T extends Topic>(
    committer: OffsetCommitter,
    loop: ConsumerLoop<T>,
    payload: EachBatchPayload,
    stopping: AbortSignal,
  ): Promise<void> {
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
          headers: bridgeHeadersOf(message.headers),
        })),
        {
          keepAlive: () => payload.heartbeat(),
          shouldStop: () => stopping.aborted || !payload.isRunning() || payload.isStale(),
          onDone: (message) => {
            payload.resolveOffset(message.offset);
            lastDone = message.offset;
          },
        },
      );
    } catch (error) {
      if (!(error instanceof SubscriptionStopped)) throw error;
    } finally {
      if (lastDone !== undefined) committer.finished(batch.topic, batch.partition, lastDone);
      // Stopping, or the partition is about to move: commit now, while this member owns it.
      if (stopping.aborted || !payload.isRunning() || payload.isStale()) await committer.flush();
    }
    await payload.heartbeat();
  }
}

interface StartedConsumer {
  consumer: Consumer;
  committer: OffsetCommitter;
  watch: StalledPartitionWatch;
}

/** The headers Bridge reads, as text; the rest stay with the broker. */
function bridgeHeadersOf(headers: IHeaders | undefined): Record<string, string> | undefined {
  const value = headers?.[TRACEPARENT_HEADER];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : { [TRACEPARENT_HEADER]: first.toString() };
}
