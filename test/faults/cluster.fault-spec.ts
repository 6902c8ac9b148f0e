/**
 * The cluster fault suite: the failures of a replicated Kafka, of the network, and of a
 * scaled-out deployment, scored like `faults.fault-spec.ts` (each under the steady stream with
 * its ground truth: lost 0, duplicated 0, double repairs 0, and the time to recover).
 *
 * The world: a three-node KRaft cluster of the suite's own (topics with three replicas and
 * `min.insync.replicas=2`, producers with `acks=all`), two instances each of ingest, checker and
 * repair, one scanner and one api. Every byte between the services and the cluster, and between
 * the services and PostgreSQL, crosses a `TcpLink`: the network faults are real broken, slow or
 * silent connections, not changes inside a client. The simulator and the suite's own reads go
 * past the links.
 *
 * The faults: the leader of the busiest partition SIGKILLed mid-stream; the active controller
 * SIGKILLed; a rolling restart of the three nodes; one node frozen (SIGSTOP: every connection to
 * it goes silent) for longer than the consumer session; one node cut off from its peers and its
 * clients by a real network partition (iptables), running on, for longer than the sessions; latency, a bandwidth limit, a half-open
 * link, and connections cut after a produce request reached the broker and before its answer
 * came back; PostgreSQL slow, cut and half-open; and rebalances under load: one of the two
 * checkers SIGKILLed and started again three times during a burst, then a third checker added
 * mid-stream. Figures go to `test-output/cluster-fault-report.{json,md}`.
 */
import { jest } from '@jest/globals';
import { Topics } from '@bridge/contracts';
import { PrivateCluster, type NodeAction } from '../private-cluster';
import { eventually } from '../stack-config';
import { FaultRun, sleep, type FaultOutcome } from './fault-run';
import { FaultWorld } from './fault-world';
import type { LinkDegradation, TcpLink } from '../network/tcp-link';

/** Inbound topic whose busiest partition's leader is killed. */
const INBOUND = 'cappella.run.completed';
/** Past the short profile's consumer session (10 s): a frozen node's members are given up. */
const FROZEN_MS = 15_000;
/** Past the brokers' session with the controller (9 s) and the consumers' session (10 s). */
const ISOLATED_MS = 20_000;
/** The checkers' fresh work, whose group the rebalances are timed on. */
const CHECK_WORK = Topics.BridgeInternalChecks;

// A rolling restart alone takes a minute, and settling may take three more.
jest.setTimeout(420_000);

describe('cluster fault suite', () => {
  let world: FaultWorld<PrivateCluster>;
  let run: FaultRun;
  const cluster = () => world.broker;

  beforeAll(async () => {
    world = await FaultWorld.start({
      kafka: new PrivateCluster(3),
      instances: { ingest: 2, checker: 2, repair: 2 },
      linkDatabase: true,
      env: { KAFKA_TOPIC_REPLICATION_FACTOR: '3', KAFKA_TOPIC_MIN_INSYNC_REPLICAS: '2' },
    });
    run = new FaultRun(world, 'cluster-fault-report', 180_000);
  }, 420_000);

  afterAll(async () => {
    run?.print();
    await world?.close();
  }, 180_000);

  /** Does `action` to node `id`, then `undo` after `forMs`; a fault outcome with `note`. */
  async function nodeFault(
    id: number,
    action: NodeAction,
    undo: NodeAction,
    forMs: number,
    note: string,
  ): Promise<FaultOutcome> {
    const injectedAt = Date.now();
    await cluster().node(id, action);
    await sleep(forMs);
    await cluster().node(id, undo);
    const healedAt = Date.now();
    const inSyncMs = await cluster().awaitInSync();
    return { injectedAt, healedAt, note: `${note}; replicas in sync ${ms(inSyncMs)} later` };
  }

  /** `nodeFault` on the node leading the busiest partition of `INBOUND`; who leads it after. */
  async function busiestLeaderFault(
    action: NodeAction,
    undo: NodeAction,
    forMs: number,
    what: string,
  ): Promise<FaultOutcome> {
    const partition = await busiestPartition(INBOUND);
    const leader = await cluster().leaderOf(INBOUND, partition);
    const outcome = await nodeFault(
      leader,
      action,
      undo,
      forMs,
      `node ${leader} led ${INBOUND}[${partition}]; ${what}`,
    );
    const after = await cluster().leaderOf(INBOUND, partition);
    return { ...outcome, note: `${outcome.note}; leader now node ${after}` };
  }

  /** Applies `fault` to every Kafka link (or the database link) for `forMs`, then heals. */
  async function linkFault(
    target: 'kafka' | 'database',
    fault: (link: TcpLink) => void,
    forMs: number,
    note: string,
  ): Promise<FaultOutcome> {
    const links =
      target === 'kafka' ? [...cluster().links.values()] : [world.databaseLink ?? fail()];
    const injectedAt = Date.now();
    links.forEach(fault);
    try {
      await sleep(forMs);
    } finally {
      links.forEach((link) => link.heal());
    }
    return { injectedAt, healedAt: Date.now(), note };
  }

  it('settles a stream on the cluster without faults (the baseline)', async () => {
    const tally = await run.underFault('none (cluster baseline)', () => {
      const now = Date.now();
      return Promise.resolve({
        injectedAt: now,
        healedAt: now,
        note: 'two of ingest, checker, repair',
      });
    });
    expect(tally.processed).toBeGreaterThan(1_000);
  });

  it('loses and repeats nothing when the leader of the busiest partition is SIGKILLed', async () => {
    await run.underFault('leader of the busiest partition SIGKILLed', () =>
      busiestLeaderFault('kill', 'start', 6_000, 'down 6 s'),
    );
  });

  it('loses and repeats nothing when the active controller is SIGKILLed', async () => {
    await run.underFault('active controller SIGKILLed', async () => {
      const controller = await cluster().activeController();
      const outcome = await nodeFault(
        controller,
        'kill',
        'start',
        6_000,
        `node ${controller} was the active controller; down 6 s`,
      );
      const next = await cluster().activeController();
      return { ...outcome, note: `${outcome.note}; controller now node ${next}` };
    });
  });

  it('loses and repeats nothing through a rolling restart of the three nodes', async () => {
    await run.underFault('rolling restart of all three nodes', async () => {
      const injectedAt = Date.now();
      const steps: string[] = [];
      for (const id of cluster().nodeIds) {
        const started = Date.now();
        await cluster().node(id, 'stop');
        await cluster().node(id, 'start');
        const inSyncMs = await cluster().awaitInSync();
        steps.push(
          `node ${id} back ${ms(Date.now() - started - inSyncMs)}, in sync ${ms(inSyncMs)} later`,
        );
      }
      return {
        injectedAt,
        healedAt: Date.now(),
        note: `clean stop, start, wait for in-sync replicas, next: ${steps.join(', ')}`,
      };
    });
  });

  it('loses and repeats nothing while a node is frozen past the consumer session', async () => {
    await run.underFault(`a node frozen (SIGSTOP) for ${FROZEN_MS / 1000} s`, () =>
      busiestLeaderFault('pause', 'resume', FROZEN_MS, 'its connections silent'),
    );
  });

  it('loses and repeats nothing while a node is cut off by the network past the sessions', async () => {
    await run.underFault(`a node isolated by the network for ${ISOLATED_MS / 1000} s`, () =>
      busiestLeaderFault('isolate', 'rejoin', ISOLATED_MS, 'no packet to or from it, running on'),
    );
  });

  const KAFKA_LINK_FAULTS: Array<[string, LinkDegradation, string]> = [
    [
      'Kafka links 150 ms slower each way for 8 s',
      { latencyMs: 150 },
      'every chunk delayed 150 ms',
    ],
    [
      'Kafka links limited to 64 KB/s for 8 s',
      { bytesPerSecond: 64 * 1024 },
      'each direction of each connection paced',
    ],
  ];

  it.each(KAFKA_LINK_FAULTS)(
    'loses and repeats nothing with %s',
    async (fault, degradation, note) => {
      await run.underFault(fault, () =>
        linkFault('kafka', (link) => link.degrade(degradation), 8_000, note),
      );
    },
  );

  it('loses and repeats nothing when produce answers are cut after the broker wrote the records', async () => {
    await run.underFault('produce connections cut before the answer', async () => {
      const links = [...cluster().links.values()];
      const before = links.reduce((n, link) => n + link.cutProduces, 0);
      const injectedAt = Date.now();
      links.forEach((link) => link.cutAfterProduce(10));
      const cut = await eventually(
        () => {
          const n = links.reduce((total, link) => total + link.cutProduces, 0) - before;
          return Promise.resolve(n >= 10 ? n : undefined);
        },
        30_000,
        'ten produce requests cut before their answers',
      ).finally(() => links.forEach((link) => link.heal()));
      return {
        injectedAt,
        healedAt: Date.now(),
        note: `${cut} connections cut right after a whole produce request, before its answer`,
      };
    });
  });

  it('loses and repeats nothing while the Kafka links are half-open', async () => {
    await run.underFault('Kafka links half-open for 8 s', () =>
      linkFault(
        'kafka',
        (link) => link.hang(),
        8_000,
        'connections kept open, nothing crossing them',
      ),
    );
  });

  const DATABASE_LINK_FAULTS: Array<[string, (link: TcpLink) => void, number, string]> = [
    [
      'PostgreSQL link 100 ms slower each way for 8 s',
      (link) => link.degrade({ latencyMs: 100 }),
      8_000,
      'every chunk delayed 100 ms',
    ],
    [
      'PostgreSQL link limited to 64 KB/s for 8 s',
      (link) => link.degrade({ bytesPerSecond: 64 * 1024 }),
      8_000,
      'each direction of each connection paced',
    ],
    [
      'PostgreSQL connections cut, unanswered for 5 s',
      (link) => link.partition(),
      5_000,
      'connections reset, new ones never answered',
    ],
    [
      'PostgreSQL link half-open for 8 s',
      (link) => link.hang(),
      8_000,
      'connections kept open, nothing crossing them',
    ],
  ];

  it.each(DATABASE_LINK_FAULTS)(
    'loses and repeats nothing with the %s',
    async (fault, apply, forMs, note) => {
      await run.underFault(fault, () => linkFault('database', apply, forMs, note));
    },
  );

  it('loses and repeats nothing when one of two checkers is killed and started again, three times, during a burst', async () => {
    await run.underFault('one of two checkers SIGKILLed 3 times in a burst', async () => {
      const burst = await world.burst(2_000);
      const injectedAt = Date.now();
      const costs: string[] = [];
      for (let round = 0; round < 3; round += 1) {
        await world.service('checker', 2).kill();
        const alone = await world.awaitGroup(CHECK_WORK, 1);
        await world.startService('checker', 2);
        const together = await world.awaitGroup(CHECK_WORK, 2);
        costs.push(`${ms(alone)}/${ms(together)}`);
      }
      return {
        injectedAt,
        healedAt: Date.now(),
        extra: [burst],
        note: `group stable without / with the restarted member after: ${costs.join(', ')}`,
      };
    });
  });

  it('loses and repeats nothing when a third checker joins mid-stream', async () => {
    await run.underFault('a third checker added mid-stream', async () => {
      const injectedAt = Date.now();
      await world.startService('checker', 3);
      const readyAt = Date.now();
      const joinedMs = await world.awaitGroup(CHECK_WORK, 3);
      return {
        injectedAt,
        healedAt: Date.now(),
        note: `ready ${ms(readyAt - injectedAt)} after its start; group stable with 3 members ${ms(joinedMs)} later`,
      };
    });
  });

  it('leaves no dead letter, no failed check or repair, no lag and no owed event after all of it', async () => {
    await run.expectNothingLeft();
  });

  /** The partition of `topic` holding the most records now. */
  async function busiestPartition(topic: string): Promise<number> {
    const admin = cluster().kafka('busiest').admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      offsets.sort((a, b) => Number(BigInt(b.high) - BigInt(a.high)));
      return offsets[0].partition;
    } finally {
      await admin.disconnect();
    }
  }
});

function ms(value: number): string {
  return `${(value / 1000).toFixed(1)} s`;
}

function fail(): never {
  throw new Error('the world has no database link');
}
