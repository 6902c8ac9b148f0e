/**
 * Topic provisioning on a new cluster: all five services started at the same moment on a
 * fresh, private Kafka broker race to create the contract topics; every one of them must come
 * up healthy, and afterwards every topic of the event contracts (`bridge.sync.*`, the internal
 * check topics, the dead-letter topic and the inbound topics) exists with the configured
 * partition count, its own `min.insync.replicas` and a leader for each partition, so an
 * observer can subscribe to the findings before the first one of a kind was ever published.
 * Done twice, each time on an empty broker, since the race is the point.
 *
 * The private broker (`PrivateBroker`: tools/stack/stack.sh on free ports and its own state
 * directory) is stopped after each round and started again, which wipes its data; the shared
 * schema registry and PostgreSQL of the local stack are reused.
 */
import { randomUUID } from 'node:crypto';
import {
  ConfigResourceTypes,
  ConfigSource,
  type ConsumerGroupJoinEvent,
  type Kafka,
} from 'kafkajs';
import { TopicSchemas, Topics, type Topic } from '@bridge/contracts';
import { PrivateBroker } from './private-broker';
import {
  SERVICE_NAMES,
  cleanUp,
  freePorts,
  spawnService,
  stopAll,
  type ServiceProcess,
} from './service-processes';
import { freshDatabase, stackEnv } from './stack-config';

/** Not the broker's own `num.partitions` (3): a topic auto-created by accident would show. */
const PARTITIONS = 4;
const CONTRACT_TOPICS = Object.keys(TopicSchemas) as Topic[];
const OBSERVED_TOPICS = [
  Topics.BridgeSyncMismatch,
  Topics.BridgeSyncStaleCache,
  Topics.BridgeSyncRepaired,
];

describe('topic provisioning when every service starts at once on a fresh broker', () => {
  const broker = new PrivateBroker();
  let services: ServiceProcess[] = [];
  let dropDatabase: (() => Promise<void>) | undefined;

  afterEach(async () => {
    await cleanUp([() => stopAll(services), () => dropDatabase?.(), () => broker.down()]);
    services = [];
    dropDatabase = undefined;
  });

  afterAll(async () => {
    await broker.remove();
  });

  it.each([1, 2])(
    'round %i: all five services become healthy and every contract topic exists with the configured partitions, each with a leader',
    async () => {
      await broker.up();
      const admin = broker.kafka('topic-provisioning-test').admin();
      await admin.connect();
      try {
        const before = new Set(await admin.listTopics());
        expect(CONTRACT_TOPICS.filter((topic) => before.has(topic))).toEqual([]);

        const db = await freshDatabase();
        dropDatabase = db.drop;
        const prefix = `prov${randomUUID().slice(0, 8)}`;
        const env: NodeJS.ProcessEnv = {
          BRIDGE_TRANSPORT: 'kafka',
          KAFKA_BROKERS: broker.brokers,
          KAFKA_TOPIC_PARTITIONS: String(PARTITIONS),
          // Set per topic, not the broker's default: one broker allows no more than 1.
          KAFKA_TOPIC_MIN_INSYNC_REPLICAS: '1',
          SCHEMA_REGISTRY_URL: stackEnv().registryUrl,
          BRIDGE_STORE: 'postgres',
          DATABASE_URL: db.url,
          CONSUMER_GROUP_PREFIX: prefix,
          LOG_LEVEL: 'warn',
          // The api service needs a credential to start (any token digest will do here).
          API_TOKENS: `admin:provisioning-test:${'0'.repeat(64)}`,
        };
        const ports = await freePorts(SERVICE_NAMES.length);
        // All at the same moment: no awaits between the spawns.
        services = SERVICE_NAMES.map((name, i) =>
          spawnService(name, ports[i], { ...env, KAFKA_CLIENT_ID: `${prefix}-${name}` }),
        );
        const reports = await Promise.all(services.map((service) => service.healthy(90_000)));
        reports.forEach((report, i) => {
          expect(report).toMatchObject({
            status: 'ok',
            details: {
              store: { status: 'up' },
              transport: { status: 'up', kind: 'kafka', service: SERVICE_NAMES[i] },
            },
          });
        });

        const after = new Set(await admin.listTopics());
        expect(CONTRACT_TOPICS.filter((topic) => !after.has(topic))).toEqual([]);
        const { topics } = await admin.fetchTopicMetadata({ topics: CONTRACT_TOPICS });
        const layout = Object.fromEntries(
          topics.map((topic) => [
            topic.name,
            {
              partitions: topic.partitions.length,
              withoutLeader: topic.partitions.filter((p) => p.leader < 0).map((p) => p.partitionId),
            },
          ]),
        );
        expect(layout).toEqual(
          Object.fromEntries(
            CONTRACT_TOPICS.map((topic) => [topic, { partitions: PARTITIONS, withoutLeader: [] }]),
          ),
        );

        // Each topic carries its own min.insync.replicas, as a cluster's acks=all relies on.
        const described = await admin.describeConfigs({
          includeSynonyms: false,
          resources: CONTRACT_TOPICS.map((name) => ({
            type: ConfigResourceTypes.TOPIC,
            name,
            configNames: ['min.insync.replicas'],
          })),
        });
        const minInSync = Object.fromEntries(
          described.resources.map((resource) => [
            resource.resourceName,
            resource.configEntries.map((entry) => ({
              value: entry.configValue,
              topicOwn: !entry.isDefault && entry.configSource === ConfigSource.TOPIC_CONFIG,
            })),
          ]),
        );
        expect(minInSync).toEqual(
          Object.fromEntries(
            CONTRACT_TOPICS.map((topic) => [topic, [{ value: '1', topicOwn: true }]]),
          ),
        );

        // An observer subscribes to findings none of which was ever published.
        const published = await Promise.all(
          OBSERVED_TOPICS.map(async (topic) => {
            const ends = await admin.fetchTopicOffsets(topic);
            return { topic, events: ends.reduce((sum, p) => sum + Number(p.high), 0) };
          }),
        );
        expect(published.filter((topic) => topic.events > 0)).toEqual([]);
        const assignment = await subscribeObserver(
          broker.kafka('topic-provisioning-observer'),
          `${prefix}-observer`,
        );
        const allPartitions = Array.from({ length: PARTITIONS }, (_, i) => i);
        expect(assignment).toEqual(
          Object.fromEntries(OBSERVED_TOPICS.map((topic) => [topic, allPartitions])),
        );
        // Subscribing created no topic, and every service is still up.
        expect(ownTopics(await admin.listTopics())).toEqual(ownTopics([...after]));
        expect(services.filter((service) => !service.running).map((s) => s.describeExit())).toEqual(
          [],
        );
      } finally {
        await admin.disconnect();
      }
    },
    240_000,
  );
});

/**
 * A plain kafkajs consumer (topic auto-creation off) subscribes to the findings and joins its
 * group; returns the partitions it was given, sorted.
 */
async function subscribeObserver(kafka: Kafka, groupId: string): Promise<Record<string, number[]>> {
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  const joined = new Promise<ConsumerGroupJoinEvent>((resolve) => {
    consumer.on(consumer.events.GROUP_JOIN, resolve);
  });
  const crashed = new Promise<never>((_, reject) => {
    // A retriable crash (the group coordinator still loading `__consumer_offsets` on a fresh
    // broker) is restarted by kafkajs itself and ends in a join; only a final one fails.
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) reject(event.payload.error);
    });
  });
  crashed.catch(() => undefined); // raced below; a crash after the join is not this test's
  let timer: NodeJS.Timeout | undefined;
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: OBSERVED_TOPICS, fromBeginning: true });
    await consumer.run({ eachMessage: () => Promise.resolve() });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${groupId} did not join within 30 s`)), 30_000);
    });
    const { payload } = await Promise.race([joined, crashed, timeout]);
    return Object.fromEntries(
      Object.entries(payload.memberAssignment)
        .map(([topic, partitions]): [string, number[]] => [
          topic,
          [...partitions].sort((a, b) => a - b),
        ])
        .sort(([a], [b]) => a.localeCompare(b)),
    );
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
}

/** Topic names without Kafka's internal ones (`__consumer_offsets` appears with the first group). */
function ownTopics(names: string[]): string[] {
  return names.filter((name) => !name.startsWith('__')).sort();
}
