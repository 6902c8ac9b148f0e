/**
 * The process's single kafkajs client: one `Kafka` instance, one idempotent producer (a new
 * one after each failed send), topic creation, and the registry codec. Only this folder
 * imports kafkajs.
 *
 * Every service creates every topic of the event contracts when it starts (`provisionTopics`),
 * so a consumer of `bridge.sync.*` can subscribe before the first finding of a kind exists.
 * Services starting together on a new cluster race to create the same topics: "already exists"
 * is the expected answer for all but one of them, and every one of them then waits until each
 * partition has a leader that answers for it before it produces or consumes, since a topic that
 * was just created elsewhere is not yet served ("This server does not host this topic-partition",
 * "This server is not the leader for that topic-partition").
 */
import { Logger } from '@nestjs/common';
import {
  Kafka,
  KafkaJSError,
  Partitioners,
  logLevel,
  type Admin,
  type PartitionMetadata,
  type Producer,
  type LogEntry,
} from 'kafkajs';
import {
  DEFAULT_DECODE_LIMITS,
  type DecodeLimits,
  type KafkaTransportConfig,
} from '@bridge/config';
import { errorMessage, withinDeadline } from '@bridge/errors';
import { TopicSchemas, type Topic } from '@bridge/contracts';
import { RegistryAvroCodec } from '../event-codec';
import { outsideMessageContext } from '../message-context';
import { partitionLag } from './consumer-lag';
import type { GroupPartitionOffsets } from './stalled-partitions';
import { kafkaSecurityOptions } from './kafka-security';

const ALL_TOPICS = Object.keys(TopicSchemas) as Topic[];

/**
 * Broker answers that mean "this partition is not served here yet": expected while a new
 * topic's leaders take their partitions on (`waitUntilServed` polls through them) and during a
 * leadership move, which kafkajs retries after refreshing its metadata. kafkajs logs each
 * failed response as an error; these are logged at debug instead, and an error that lasts
 * surfaces through the call that keeps failing.
 */
const PARTITION_NOT_SERVED_YET = new Set([
  'This server does not host this topic-partition',
  'This server is not the leader for that topic-partition',
  'There is no leader for this topic-partition as we are in the middle of a leadership election',
]);

/** How long start-up waits for new topics to get partition leaders before it gives up. */
const TOPIC_READY_TIMEOUT_MS = 60_000;
/**
 * The longest one use of the monitor admin may take. kafkajs bounds each request, but not every
 * wait around them (a connection or metadata lock): a call that never settled would pin a
 * topic's placement, readiness or the stalled-partition watch for good.
 */
const MONITOR_DEADLINE_MS = 30_000;
const TOPIC_READY_POLL_MS = 200;

export class KafkaConnection {
  readonly kafka: Kafka;
  readonly codec: RegistryAvroCodec;
  private producer?: Producer;
  private connecting?: Promise<Producer>;
  /** The admin client of readiness and the lag gauge, connected at first use and kept. */
  private monitorAdmin?: Promise<Admin>;
  private readonly logger = new Logger('Kafka');

  constructor(
    readonly config: KafkaTransportConfig,
    decodeLimits: DecodeLimits = DEFAULT_DECODE_LIMITS,
  ) {
    this.kafka = new Kafka({
      clientId: config.clientId,
      brokers: config.brokers,
      ...kafkaSecurityOptions(config),
      logLevel: logLevel.WARN,
      // kafkajs logs from its own timers and connections, which may have started inside a
      // handler: never with that handler's message context.
      logCreator: () => (entry: LogEntry) => outsideMessageContext(() => this.log(entry)),
      retry: { initialRetryTime: 200, retries: 10 },
    });
    this.codec = new RegistryAvroCodec(config.registry, decodeLimits);
  }

  /** Where sends place their messages: kafkajs's default (murmur2 of the key, as Java's). */
  readonly partitioner = Partitioners.DefaultPartitioner();
  /** Partition metadata per topic, fetched at a topic's first send and kept. */
  private readonly partitionMetadata = new Map<string, Promise<PartitionMetadata[]>>();

  /**
   * The partitions of each of `topics` (for `placeMessages`). A topic's partitions do not move
   * between sends, only their leaders, which placement does not need: fetched once per topic, and
   * again after a failed fetch.
   */
  async partitionsOf(topics: readonly string[]): Promise<Map<string, PartitionMetadata[]>> {
    const entries = await Promise.all(
      [...new Set(topics)].map(async (topic) => {
        let known = this.partitionMetadata.get(topic);
        if (!known) {
          known = this.withMonitorAdmin(`partitions of ${topic}`, (admin) =>
            admin.fetchTopicMetadata({ topics: [topic] }),
          ).then(({ topics: [found] }) => found.partitions);
          this.partitionMetadata.set(topic, known);
          known.catch(() => this.partitionMetadata.delete(topic));
        }
        return [topic, await known] as const;
      }),
    );
    return new Map(entries);
  }

  /** Connects the producer (once); safe to call repeatedly and concurrently. */
  connectedProducer(): Promise<Producer> {
    if (this.producer) return Promise.resolve(this.producer);
    // The producer outlives the handler that happens to connect it: not in its context.
    this.connecting ??= outsideMessageContext(async () => {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 5,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      this.producer = producer;
      return producer;
    }).finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /**
   * After a send of `producer` failed: drops the producer, so the next send connects a new one
   * with a new producer id. A failed send may still have been written (the broker appended it,
   * its answer was lost when the connection dropped), and kafkajs then rolls the partition's
   * sequence number back as if it had not been. The next send of that producer either repeats
   * the sequence with other messages, which the broker discards as duplicates though they are
   * new, or is out of order, which the broker refuses, and refuses every later send of that
   * producer too (`OUT_OF_ORDER_SEQUENCE_NUMBER` for good). A new producer has no sequence to
   * get wrong; what the failed send carried is sent again by its callers, and consumers
   * deduplicate by event id.
   */
  discardAfterFailedSend(producer: Producer, error: unknown): void {
    if (this.producer !== producer) return;
    this.producer = undefined;
    this.logger.warn(`replacing the Kafka producer after a failed send: ${errorMessage(error)}`);
    void producer.disconnect().catch(() => undefined);
  }

  /** Creates every topic of the event contracts that is missing and waits until all are served. */
  provisionTopics(): Promise<void> {
    return this.ensureTopics(ALL_TOPICS);
  }

  /**
   * Creates the topics that do not exist yet (configured partitions, replication factor and
   * `min.insync.replicas`), tolerating another process creating them at the same time, then
   * waits until every partition of every topic has a leader that answers an offsets request.
   */
  async ensureTopics(topics: readonly string[]): Promise<void> {
    const admin: Admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((topic) => !existing.has(topic));
      if (missing.length > 0) {
        // Resolves false when another process created them first; kafkajs absorbs that case.
        // Not kafkajs's own wait for leaders: on a cluster it asks a broker the new topics may
        // not have reached yet and fails on its "unknown topic" answer. `waitUntilServed` waits.
        await admin.createTopics({
          waitForLeaders: false,
          topics: missing.map((topic) => ({
            topic,
            numPartitions: this.config.topicPartitions,
            replicationFactor: this.config.topicReplicationFactor,
            configEntries:
              this.config.topicMinInSyncReplicas === undefined
                ? undefined
                : [
                    {
                      name: 'min.insync.replicas',
                      value: String(this.config.topicMinInSyncReplicas),
                    },
                  ],
          })),
        });
        this.logger.log(`created or found ${missing.join(', ')}`);
      }
      await this.waitUntilServed(admin, topics);
    } finally {
      await admin.disconnect();
    }
  }

  private async waitUntilServed(admin: Admin, topics: readonly string[]): Promise<void> {
    const deadline = Date.now() + TOPIC_READY_TIMEOUT_MS;
    // A topic once served stays served: each poll asks only about the ones that were not.
    let remaining = topics;
    for (;;) {
      const { unserved, lastError } = await unservedTopics(admin, remaining);
      remaining = unserved;
      if (unserved.length === 0) return;
      if (Date.now() > deadline) {
        throw new Error(
          `topics still not served by a partition leader after ${TOPIC_READY_TIMEOUT_MS} ms: ${unserved.join(', ')}` +
            (lastError ? ` (last error: ${lastError.message})` : ''),
          { cause: lastError },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, TOPIC_READY_POLL_MS));
    }
  }

  /** True when the broker answers a metadata request; used by readiness. */
  async isReachable(): Promise<boolean> {
    try {
      await this.withMonitorAdmin('cluster description', (admin) => admin.describeCluster());
      return true;
    } catch {
      return false;
    }
  }

  /** Lag of the group on every partition of `topics`, for the metrics endpoint. */
  async consumerLag(
    groupId: string,
    topics: readonly string[],
    fromBeginning: boolean,
  ): Promise<Array<{ topic: string; partition: number; lag: number }>> {
    return (await this.groupOffsets(groupId, topics)).flatMap((offsets) => {
      const lag = partitionLag(offsets, fromBeginning);
      return lag === null ? [] : [{ topic: offsets.topic, partition: offsets.partition, lag }];
    });
  }

  /** The group's commit and the retained range of every partition of `topics`. */
  async groupOffsets(groupId: string, topics: readonly string[]): Promise<GroupPartitionOffsets[]> {
    return this.withMonitorAdmin(`offsets of group ${groupId}`, async (admin) => {
      const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
      const offsets = await Promise.all(
        committed.map(async ({ topic, partitions }) => {
          const ends = new Map(
            (await admin.fetchTopicOffsets(topic)).map((end) => [end.partition, end]),
          );
          return partitions.flatMap(({ partition, offset }) => {
            const end = ends.get(partition);
            return end
              ? [{ topic, partition, low: end.low, high: end.high, committed: offset }]
              : [];
          });
        }),
      );
      return offsets.flat();
    });
  }

  /**
   * `use` of the monitor admin within `MONITOR_DEADLINE_MS`. An admin that failed or gave no
   * answer is dropped, so that the next use connects a fresh one rather than asking the same
   * stale connections again.
   */
  private async withMonitorAdmin<T>(what: string, use: (admin: Admin) => Promise<T>): Promise<T> {
    const connecting = this.connectedMonitorAdmin();
    try {
      return await withinDeadline(
        connecting.then((admin) => use(admin)),
        MONITOR_DEADLINE_MS,
        what,
      );
    } catch (error) {
      if (this.monitorAdmin === connecting) {
        this.monitorAdmin = undefined;
        void connecting.then((admin) => admin.disconnect()).catch(() => undefined);
      }
      throw error;
    }
  }

  private connectedMonitorAdmin(): Promise<Admin> {
    this.monitorAdmin ??= outsideMessageContext(async () => {
      const admin = this.kafka.admin({ retry: { retries: 0 } });
      await admin.connect();
      return admin;
    }).catch((error: unknown) => {
      this.monitorAdmin = undefined;
      throw error;
    });
    return this.monitorAdmin;
  }

  async close(): Promise<void> {
    const monitorAdmin = this.monitorAdmin;
    this.monitorAdmin = undefined;
    await monitorAdmin?.then((admin) => admin.disconnect()).catch(() => undefined);
    await this.producer?.disconnect();
    this.producer = undefined;
  }

  private log(entry: LogEntry): void {
    const { level, text } = kafkaLogLine(entry);
    this.logger[level](text);
  }
}

/**
 * How a kafkajs log entry is logged: its message with the broker's error where it names one,
 * at error, warn or debug (kafkajs's info is chatter about joins and connections).
 */
export function kafkaLogLine({ level, namespace, log }: LogEntry): {
  level: 'error' | 'warn' | 'debug';
  text: string;
} {
  const error = typeof log.error === 'string' ? log.error : undefined;
  const text = `${namespace}: ${log.message}${error ? `: ${error}` : ''}`;
  if (error !== undefined && PARTITION_NOT_SERVED_YET.has(error)) return { level: 'debug', text };
  if (level <= logLevel.ERROR) return { level: 'error', text };
  if (level === logLevel.WARN) return { level: 'warn', text };
  return { level: 'debug', text };
}

/**
 * Topics not served yet: metadata not known, a partition without a leader, or a leader that
 * does not answer for its partition yet. The broker publishes a new partition's leader in its
 * metadata a moment before its replica manager takes the partition on, and a ListOffsets in that
 * moment fails with NOT_LEADER_FOR_PARTITION, so only a successful offsets answer for every
 * partition counts as served. A retriable broker answer (UNKNOWN_TOPIC_OR_PARTITION,
 * LEADER_NOT_AVAILABLE, NOT_LEADER_FOR_PARTITION) means "not yet"; anything else (authorisation,
 * a broken connection) is thrown at once.
 */
async function unservedTopics(
  admin: Admin,
  topics: readonly string[],
): Promise<{ unserved: string[]; lastError?: Error }> {
  let lastError: Error | undefined;
  /** Keeps a "not yet" answer as the last error; throws any other. */
  const notYet = (error: unknown): void => {
    if (!(error instanceof KafkaJSError && error.retriable)) throw error;
    lastError = error;
  };
  try {
    const { topics: metadata } = await admin.fetchTopicMetadata({ topics: [...topics] });
    const led = metadata.filter(
      (topic) =>
        topic.partitions.length > 0 && topic.partitions.every((partition) => partition.leader >= 0),
    );
    const answered = await Promise.all(
      led.map(async (topic) => {
        try {
          const ends = await admin.fetchTopicOffsets(topic.name);
          return ends.length === topic.partitions.length ? topic.name : undefined;
        } catch (error) {
          // kafkajs asks for the offsets of the partitions its own cached metadata lists; on a
          // cluster that metadata may come from a broker the new topic has not reached yet, and
          // kafkajs then fails on the empty answer with a TypeError: "not yet" as well.
          if (error instanceof TypeError) {
            lastError = error;
            return undefined;
          }
          notYet(error);
          return undefined;
        }
      }),
    );
    const served = new Set(answered.filter((name) => name !== undefined));
    return { unserved: topics.filter((topic) => !served.has(topic)), lastError };
  } catch (error) {
    notYet(error);
    return { unserved: [...topics], lastError };
  }
}
