/**
 * A three-node Kafka cluster of one test file, started with `tools/stack/stack.sh up --brokers 3`
 * on free ports under its own state directory, next to the shared local stack (whose registry
 * and PostgreSQL it reuses, as `PrivateBroker` does).
 *
 * Each node has two ways in. Bridge's services bootstrap from `brokers`: the CLIENT listener of
 * each node, advertised at the port of a `TcpLink` in front of it, so that every byte between
 * the services and the cluster crosses a link the network faults degrade or cut. The simulator,
 * the observer and the suite's own admin use `directBrokers`, the nodes' internal listeners,
 * which no fault touches: the platform around Bridge keeps working while Bridge's links fail.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { TcpLink } from './network/tcp-link';
import { assertSharedRegistryAnswers, runStackScript } from './private-broker';
import { freePorts } from './service-processes';

export type NodeAction = 'kill' | 'stop' | 'start' | 'pause' | 'resume' | 'isolate' | 'rejoin';

interface ClusterNode {
  id: number;
  clientPort: number;
  internalPort: number;
  link: TcpLink;
}

export class PrivateCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'bridge-private-cluster-'));
  private env?: NodeJS.ProcessEnv;
  private nodes: ClusterNode[] = [];

  constructor(readonly size = 3) {}

  /** Bootstrap of Bridge's services: every node through its link. */
  get brokers(): string {
    return this.started()
      .map((node) => `127.0.0.1:${node.link.port}`)
      .join(',');
  }

  /** Bootstrap of everything else: the nodes' own listeners, past the links. */
  get directBrokers(): string {
    return this.started()
      .map((node) => `127.0.0.1:${node.internalPort}`)
      .join(',');
  }

  /** The links in front of the nodes, by node id. */
  get links(): ReadonlyMap<number, TcpLink> {
    return new Map(this.started().map((node) => [node.id, node.link]));
  }

  get nodeIds(): number[] {
    return this.started().map((node) => node.id);
  }

  /** Starts a new, empty cluster, each node's CLIENT listener behind a link. */
  async up(): Promise<void> {
    await assertSharedRegistryAnswers();
    const ports = await freePorts(this.size * 4);
    const take = () => ports.splice(0, this.size);
    const [client, advertised, internal, controller] = [take(), take(), take(), take()];
    this.nodes = [];
    for (let i = 0; i < this.size; i += 1) {
      const link = await TcpLink.open('127.0.0.1', client[i], advertised[i]);
      this.nodes.push({ id: i + 1, clientPort: client[i], internalPort: internal[i], link });
    }
    this.env = {
      ...process.env,
      BRIDGE_STACK_DIR: this.dir,
      BRIDGE_CLUSTER_CLIENT_PORTS: client.join(','),
      BRIDGE_CLUSTER_ADVERTISED_PORTS: advertised.join(','),
      BRIDGE_CLUSTER_INTERNAL_PORTS: internal.join(','),
      BRIDGE_CLUSTER_CONTROLLER_PORTS: controller.join(','),
    };
    await this.script(['up', '--brokers', String(this.size)]);
    if (existsSync(join(this.dir, 'pids', 'registry.pid'))) {
      throw new Error('stack.sh up started a second registry; the shared one must be reused');
    }
  }

  /**
   * One node: `kill` (SIGKILL), `stop` (clean), `start` (on its data), `pause`/`resume`
   * (SIGSTOP/SIGCONT), `isolate`/`rejoin` (a network partition around it, made with iptables).
   */
  async node(id: number, action: NodeAction): Promise<void> {
    await this.script(['broker', String(id), action]);
  }

  /** The node id of the active controller, as the metadata quorum reports it. */
  async activeController(): Promise<number> {
    const { stdout } = await this.script(['controller']);
    const id = Number(stdout.trim().split('\n').pop());
    if (!Number.isInteger(id) || id < 1) throw new Error(`no controller id in: ${stdout}`);
    return id;
  }

  /** The node leading `partition` of `topic` now. */
  async leaderOf(topic: string, partition: number): Promise<number> {
    const admin = this.kafka('leader-lookup').admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      const found = topics[0]?.partitions.find((p) => p.partitionId === partition);
      if (!found || found.leader < 0) throw new Error(`${topic}[${partition}] has no leader`);
      return found.leader;
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Waits until every partition of every topic has all its replicas in sync again (what an
   * operator waits for between two nodes of a rolling restart). Returns how long it took.
   */
  async awaitInSync(timeoutMs = 120_000): Promise<number> {
    const started = Date.now();
    const admin = this.kafka('isr-watch').admin();
    await admin.connect();
    try {
      for (;;) {
        const { topics } = await admin.fetchTopicMetadata();
        const behind = topics.flatMap((topic) =>
          topic.partitions
            .filter((p) => p.isr.length < p.replicas.length)
            .map((p) => `${topic.name}[${p.partitionId}]`),
        );
        if (behind.length === 0) return Date.now() - started;
        if (Date.now() - started > timeoutMs) {
          throw new Error(
            `replicas still out of sync after ${timeoutMs} ms: ${behind.slice(0, 5).join(', ')}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } finally {
      await admin.disconnect();
    }
  }

  /** Stops the nodes started under this directory; nothing else. */
  async down(): Promise<void> {
    if (!this.env) return;
    await this.script(['down']);
  }

  /** Stops the cluster, closes the links and deletes the directory (data, logs). */
  async remove(): Promise<void> {
    await this.down();
    for (const node of this.nodes) await node.link.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Log files of the nodes, this start's and the one before a restart. */
  logFiles(): string[] {
    return this.nodes.flatMap((node) =>
      ['', '.previous'].map((suffix) =>
        join(this.dir, 'logs', `kafka-node-${node.id}.log${suffix}`),
      ),
    );
  }

  /** A client past the links (the suite's own reads). */
  kafka(clientId: string): Kafka {
    return new Kafka({
      clientId,
      brokers: this.directBrokers.split(','),
      logLevel: logLevel.NOTHING,
    });
  }

  private started(): ClusterNode[] {
    if (this.nodes.length === 0) throw new Error('the private cluster is not started');
    return this.nodes;
  }

  private script(args: string[]): Promise<{ stdout: string }> {
    return runStackScript(args, this.env);
  }
}
