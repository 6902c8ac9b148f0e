/**
 * Topic provisioning on a new cluster: all five services started at the same moment on a
 * fresh, private Kafka broker race to create the contract topics; every one of them must come
 * up healthy, and afterwards every topic of the event contracts (`bridge.sync.*`, the internal
 * check topics, the dead-letter topic and the inbound topics) exists with the configured
 * partition count and a leader for each partition, so an observer can subscribe to the
 * findings before the first one of a kind was ever published. Done twice, each time on an
 * empty broker, since the race is the point.
 *
 * The private broker is started with the stack script on free ports and its own state
 * directory; the shared schema registry and PostgreSQL of the local stack are reused (the
 * script leaves a registry that already answers alone, and `down` only stops what was started
 * under the private state directory).
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel, type Admin, type ConsumerGroupJoinEvent } from 'kafkajs';
import { TopicSchemas, Topics, type Topic } from '@bridge/contracts';
import {
  ROOT,
  SERVICE_NAMES,
  freePorts,
  spawnService,
  stopAll,
  type ServiceProcess,
} from './service-processes';
import { freshDatabase, stackEnv } from './stack-config';

const run = promisify(execFile);
const STACK = join(ROOT, 'tools', 'stack', 'stack.sh');

/** Not the broker's own `num.partitions` (3): a topic auto-created by accident would show. */
const PARTITIONS = 4;
const CONTRACT_TOPICS = Object.keys(TopicSchemas) as Topic[];
const OBSERVED_TOPICS = [
  Topics.BridgeSyncMismatch,
  Topics.BridgeSyncStaleCache,
  Topics.BridgeSyncRepaired,
];

/** A Kafka broker of this test only, started and stopped with tools/stack/stack.sh. */
class PrivateBroker {
  readonly dir = mkdtempSync(join(tmpdir(), 'bridge-private-kafka-'));
  private env: NodeJS.ProcessEnv = {};
  port = 0;

  get brokers(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Starts a broker with empty data (the script wipes it on every start). */
  async up(): Promise<void> {
    await this.assertSharedRegistryAnswers();
    const [port, controllerPort] = await freePorts(2);
    this.port = port;
    this.env = {
      ...process.env,
      BRIDGE_KAFKA_PORT: String(port),
      BRIDGE_KAFKA_CONTROLLER_PORT: String(controllerPort),
      BRIDGE_STACK_DIR: this.dir,
    };
    await this.script('up');
    // Started by the script under our directory, not some other process found on the port.
    if (!existsSync(join(this.dir, 'pids', 'kafka.pid'))) {
      throw new Error(`stack.sh up did not start a broker of its own on ${this.brokers}`);
    }
    if (existsSync(join(this.dir, 'pids', 'registry.pid'))) {
      throw new Error('stack.sh up started a second registry; the shared one must be reused');
    }
  }

  /** Stops the broker started under this directory (nothing else: no pid file of anything else). */
  async down(): Promise<void> {
    if (this.port === 0) return;
    await this.script('down');
  }

  async remove(): Promise<void> {
    await this.down();
    rmSync(this.dir, { recursive: true, force: true });
  }

  admin(): Admin {
    return this.kafka().admin();
  }

  kafka(): Kafka {
    return new Kafka({
      clientId: `topic-provisioning-${process.pid}`,
      brokers: [this.brokers],
      logLevel: logLevel.NOTHING,
    });
  }

  private async script(command: 'up' | 'down'): Promise<void> {
    try {
      await run('bash', [STACK, command], { env: this.env, timeout: 180_000 });
    } catch (error) {
      const failed = error as Error & { stdout?: string; stderr?: string };
      throw new Error(`stack.sh ${command} failed: ${failed.message}\n${failed.stderr ?? ''}`);
    }
  }

  /** With a registry answering on its port, `up` leaves it alone and `down` never stops it. */
  private async assertSharedRegistryAnswers(): Promise<void> {
    const response = await fetch(`${stackEnv().registryUrl}/subjects`);
    if (!response.ok) throw new Error(`the shared schema registry answers ${response.status}`);
  }
}

describe('topic provisioning when every service starts at once on a fresh broker', () => {
  const broker = new PrivateBroker();
  let services: ServiceProcess[] = [];
  let dropDatabase: (() => Promise<void>) | undefined;

  afterEach(async () => {
    await stopAll(services);
    services = [];
    await dropDatabase?.();
    dropDatabase = undefined;
    await broker.down();
  });

  afterAll(async () => {
    await broker.remove();
  });

  it.each([1, 2])(
    'round %i: all five services become healthy and every contract topic exists with the configured partitions, each with a leader',
    async () => {
      await broker.up();
      const admin = broker.admin();
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
          SCHEMA_REGISTRY_URL: stackEnv().registryUrl,
          BRIDGE_STORE: 'postgres',
          DATABASE_URL: db.url,
          CONSUMER_GROUP_PREFIX: prefix,
          LOG_LEVEL: 'warn',
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

        // An observer subscribes to findings none of which was ever published.
        const offsets = await Promise.all(
          OBSERVED_TOPICS.map(async (topic) => ({
            topic,
            ends: await admin.fetchTopicOffsets(topic),
          })),
        );
        for (const { ends } of offsets) expect(ends.every((p) => p.high === '0')).toBe(true);
        const assignment = await subscribeObserver(broker.kafka(), `${prefix}-observer`);
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
    consumer.on(consumer.events.CRASH, (event) => reject(event.payload.error));
  });
  crashed.catch(() => undefined); // raced below; a crash after the join is not this test's
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: OBSERVED_TOPICS, fromBeginning: true });
    await consumer.run({ eachMessage: () => Promise.resolve() });
    const { payload } = await Promise.race([joined, crashed]);
    return Object.fromEntries(
      Object.entries(payload.memberAssignment)
        .map(([topic, partitions]): [string, number[]] => [
          topic,
          [...partitions].sort((a, b) => a - b),
        ])
        .sort(([a], [b]) => a.localeCompare(b)),
    );
  } finally {
    await consumer.disconnect();
  }
}

/** Topic names without Kafka's internal ones (`__consumer_offsets` appears with the first group). */
function ownTopics(names: string[]): string[] {
  return names.filter((name) => !name.startsWith('__')).sort();
}
