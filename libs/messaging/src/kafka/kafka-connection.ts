/**
 * The process's single kafkajs client: one `Kafka` instance, one idempotent producer, topic
 * creation, and the registry codec. Only this folder imports kafkajs.
 */
import { Logger } from '@nestjs/common';
import { Kafka, Partitioners, logLevel, type Admin, type Producer, type LogEntry } from 'kafkajs';
import type { KafkaTransportConfig } from '@bridge/config';
import { TopicSchemas, type Topic } from '@bridge/contracts';
import { RegistryAvroCodec } from '../event-codec';

const ALL_TOPICS = Object.keys(TopicSchemas) as Topic[];

export class KafkaConnection {
  readonly kafka: Kafka;
  readonly codec: RegistryAvroCodec;
  private producer?: Producer;
  private connecting?: Promise<Producer>;
  private readonly logger = new Logger('Kafka');

  constructor(readonly config: KafkaTransportConfig) {
    this.kafka = new Kafka({
      clientId: config.clientId,
      brokers: config.brokers,
      logLevel: logLevel.WARN,
      logCreator: () => (entry: LogEntry) => this.log(entry),
      retry: { initialRetryTime: 200, retries: 10 },
    });
    this.codec = new RegistryAvroCodec(config.registry);
  }

  /** Connects the producer and creates every known topic (idempotent); safe to call repeatedly. */
  connectedProducer(): Promise<Producer> {
    if (this.producer) return Promise.resolve(this.producer);
    this.connecting ??= (async () => {
      await this.ensureTopics(ALL_TOPICS);
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 5,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      this.producer = producer;
      return producer;
    })().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  async ensureTopics(topics: readonly string[]): Promise<void> {
    const admin: Admin = this.kafka.admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((topic) => !existing.has(topic));
      if (missing.length > 0) {
        await admin.createTopics({
          waitForLeaders: true,
          topics: missing.map((topic) => ({
            topic,
            numPartitions: this.config.topicPartitions,
          })),
        });
      }
    } finally {
      await admin.disconnect();
    }
  }

  /** True when the broker answers a metadata request; used by the health check. */
  async isReachable(): Promise<boolean> {
    const admin = this.kafka.admin({ retry: { retries: 0 } });
    try {
      await admin.connect();
      await admin.describeCluster();
      return true;
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.producer?.disconnect();
    this.producer = undefined;
  }

  private log({ level, namespace, log }: LogEntry): void {
    const text = `${namespace}: ${log.message}`;
    if (level <= logLevel.ERROR) this.logger.error(text);
    else if (level === logLevel.WARN) this.logger.warn(text);
    else this.logger.debug(text);
  }
}
