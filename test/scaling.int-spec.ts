/**
 * Horizontal scaling with crashes: two ingest and two checker processes (built services, started
 * as child processes) share the partitions of their consumer groups. A stream of a few thousand completed runs, some of them missing an output, goes through them;
 * mid-stream one ingest and one checker are SIGKILLed (no shutdown, no last commit). The
 * survivors take over the dead members' partitions once the broker drops them, and in the end
 * every run has exactly one finding in the sync event log, the one the simulator's ground
 * truth expects, published.
 *
 * Kafka is a private broker of this file (`PrivateBroker`), the registry and PostgreSQL are the
 * shared stack's: new consumer groups read from the beginning, so on the shared broker these
 * processes would first wade through every event earlier tests left there, and every later
 * test would wade through this one's thousands of runs.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Admin } from 'kafkajs';
import { Pool } from 'pg';
import { Topics } from '@bridge/contracts';
import { startSimulatedComponents, type SimulatedComponents } from './pipeline-harness';
import { PrivateBroker } from './private-broker';
import {
  committedOffsets,
  describeGroup,
  freePorts,
  spawnService,
  stopAll,
  type GroupMember,
  type ServiceName,
  type ServiceProcess,
  cleanUp,
} from './service-processes';
import { eventually } from './stack-config';

const RUNS = 3_000;
// 20 s of stream: the kill, after a tenth of the findings, comes well before its end.
const RATE_PER_SECOND = 150;
const MISSING_RATE = 0.05;
const FINDING_TYPES = ['bridge.sync.ok', 'bridge.sync.mismatch'];

interface FindingRow {
  source_id: string;
  event_type: string;
  mismatch_type: string | null;
  dedupe_key: string;
  details: { missing_entities?: Array<{ entity_type: string; external_id: string }> };
  published: boolean;
}

describe('two ingest and two checker processes in one consumer group each', () => {
  const broker = new PrivateBroker();
  let components: SimulatedComponents;
  let services: ServiceProcess[] = [];
  let admin: Admin;
  let pool: Pool;

  beforeAll(async () => {
    await broker.up();
    components = await startSimulatedComponents({
      KAFKA_BROKERS: broker.brokers,
      KAFKA_TOPIC_PARTITIONS: '3',
      CHECK_GRACE_DELAY_MS: '1500',
      CHECK_LEASE_MS: '3000',
      CHECK_BATCH_SIZE: '100',
      // A killed member holds its partitions until its session runs out: 10 s, not 30.
      KAFKA_SESSION_TIMEOUT_MS: '10000',
    });
    pool = new Pool({ connectionString: components.db.url, max: 2 });
    pool.on('error', () => undefined);
    admin = broker.kafka(`${components.prefix}-scaling-test`).admin();
    await admin.connect();
  }, 300_000);

  afterAll(async () => {
    await cleanUp([
      () => stopAll(services),
      () => admin?.disconnect(),
      () => pool?.end(),
      () => components?.simApp.close(),
      () => components?.db.drop(),
      () => broker.remove(),
    ]);
  });

  it('share the partitions, and after one of each is SIGKILLed mid-stream every run still ends with exactly one correct finding', async () => {
    const { sim, env, prefix } = components;
    const labels: Array<[string, ServiceName]> = [
      ['ingest-1', 'ingest'],
      ['ingest-2', 'ingest'],
      ['checker-1', 'checker'],
      ['checker-2', 'checker'],
    ];
    const ports = await freePorts(labels.length);
    services = labels.map(([label, service], i) =>
      spawnService(service, ports[i], { ...env, KAFKA_CLIENT_ID: `${prefix}-${label}` }, label),
    );
    await Promise.all(services.map((service) => service.healthy(90_000)));
    const byClientId = new Map(services.map((s) => [`${prefix}-${s.label}`, s]));

    // Both groups settle with two members, each holding partitions of the topic it works on.
    const ingestGroup = `${prefix}-ingest`;
    const checkerGroup = `${prefix}-checker`;
    await eventually(
      async () =>
        (await sharedBetweenTwo(admin, ingestGroup, Topics.CappellaRunCompleted)) &&
        (await sharedBetweenTwo(admin, checkerGroup, Topics.BridgeInternalChecks))
          ? true
          : undefined,
      60_000,
      'both groups to have two members sharing the partitions',
    );

    let streamDone = false;
    const streaming = sim
      .generateStream({
        ratePerSecond: RATE_PER_SECOND,
        count: RUNS,
        outputsPerRun: 3,
        missingRate: MISSING_RATE,
      })
      .finally(() => {
        streamDone = true;
      });
    streaming.catch(() => undefined); // awaited below; a rejection must not go unhandled meanwhile

    // Some runs are done, and every one of the four processes committed work on its own
    // partitions: the groups really share the load.
    const [ingestMembers, checkerMembers] = await eventually(
      async () => {
        if ((await countFindings(pool)) < RUNS / 10) return undefined;
        const ingest = await membersThatCommitted(admin, ingestGroup, Topics.CappellaRunCompleted);
        const checker = await membersThatCommitted(
          admin,
          checkerGroup,
          Topics.BridgeInternalChecks,
        );
        return ingest && checker ? ([ingest, checker] as const) : undefined;
      },
      90_000,
      'a tenth of the findings, with both ingests and both checkers having committed progress',
    );
    expect(ingestMembers.map((m) => m.clientId).sort()).toEqual([
      `${prefix}-ingest-1`,
      `${prefix}-ingest-2`,
    ]);
    expect(checkerMembers.map((m) => m.clientId).sort()).toEqual([
      `${prefix}-checker-1`,
      `${prefix}-checker-2`,
    ]);

    // Kill the members holding the most partitions, so most work has to move.
    const victims = [
      busiest(ingestMembers, Topics.CappellaRunCompleted),
      busiest(checkerMembers, Topics.BridgeInternalChecks),
    ].map((member) => byClientId.get(member.clientId)!);
    await Promise.all(victims.map((victim) => victim.kill()));
    const findingsAtKill = await countFindings(pool);
    expect(streamDone).toBe(false);
    expect(findingsAtKill).toBeLessThan(RUNS);

    const generation = await streaming;
    expect(generation.interrupted).toBe(false);
    expect(generation.runIds).toHaveLength(RUNS);
    const runIds = generation.runIds;

    const rows = await eventually(
      async () => {
        const found = await findings(pool, runIds);
        return found.length >= RUNS && found.every((row) => row.published) ? found : undefined;
      },
      150_000,
      `a published finding for each of the ${RUNS} runs`,
    );

    // Exactly one finding per run, under the run's post-run key.
    const perRun = new Map<string, FindingRow[]>();
    for (const row of rows) perRun.set(row.source_id, [...(perRun.get(row.source_id) ?? []), row]);
    expect(perRun.size).toBe(RUNS);
    expect([...perRun.values()].filter((list) => list.length !== 1)).toEqual([]);
    expect(rows.filter((row) => !FINDING_TYPES.includes(row.event_type))).toEqual([]);
    expect(rows.filter((row) => row.dedupe_key !== `post_run:${row.source_id}`)).toEqual([]);

    // The mismatches are exactly the runs the simulator made lose an output, naming that output.
    const truth = sim.truth().runs;
    const expected = runIds.map((runId) => {
      const run = truth[runId];
      return run.kind === 'missing_entity'
        ? { runId, kind: 'missing_entity', missing: sortKeys(run.missing) }
        : { runId, kind: run.kind, missing: [] };
    });
    const recorded = runIds.map((runId) => {
      const [row] = perRun.get(runId)!;
      return row.event_type === 'bridge.sync.mismatch'
        ? {
            runId,
            kind: row.mismatch_type,
            missing: sortKeys(row.details.missing_entities ?? []),
          }
        : { runId, kind: 'ok', missing: [] };
    });
    const wrong = recorded
      .map((run, i) => ({ recorded: run, expected: expected[i] }))
      .filter((pair) => !isDeepStrictEqual(pair.recorded, pair.expected));
    expect(wrong).toEqual([]);
    const mismatches = expected.filter((run) => run.kind === 'missing_entity').length;
    expect(mismatches).toBeGreaterThan(RUNS * MISSING_RATE * 0.5);
    expect(mismatches).toBeLessThan(RUNS * MISSING_RATE * 2);

    // The survivors are still running, and each now holds every partition of its group.
    const survivors = services.filter((service) => !victims.includes(service));
    expect(survivors.filter((s) => !s.running).map((s) => s.describeExit())).toEqual([]);
    for (const [groupId, topic, label] of [
      [ingestGroup, Topics.CappellaRunCompleted, 'ingest'],
      [checkerGroup, Topics.BridgeInternalChecks, 'checker'],
    ] as const) {
      const survivor = survivors.find((service) => service.service === label)!;
      const holders = await eventually(
        async () => {
          const group = await describeGroup(admin, groupId);
          return group.state === 'Stable' && group.members.length === 1
            ? group.members.map((member) => ({
                clientId: member.clientId,
                partitions: [...(member.assignment[topic] ?? [])].sort((a, b) => a - b),
              }))
            : undefined;
        },
        30_000,
        `${groupId} to settle on its surviving member`,
      );
      expect(holders).toEqual([{ clientId: `${prefix}-${survivor.label}`, partitions: [0, 1, 2] }]);
    }
  }, 420_000);
});

/** The group is stable with exactly two members, each holding a partition of `topic`. */
async function sharedBetweenTwo(admin: Admin, groupId: string, topic: string): Promise<boolean> {
  const group = await describeGroup(admin, groupId);
  return (
    group.state === 'Stable' &&
    group.members.length === 2 &&
    group.members.every((member) => (member.assignment[topic] ?? []).length > 0)
  );
}

/**
 * The group's two members if each has committed an offset beyond the start on at least one
 * partition of `topic` that it holds; otherwise undefined.
 */
async function membersThatCommitted(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<GroupMember[] | undefined> {
  const group = await describeGroup(admin, groupId);
  if (group.state !== 'Stable' || group.members.length !== 2) return undefined;
  const committed = await committedOffsets(admin, groupId, topic);
  const worked = group.members.every((member) =>
    (member.assignment[topic] ?? []).some((partition) => (committed.get(partition) ?? -1) > 0),
  );
  return worked ? group.members : undefined;
}

function busiest(members: GroupMember[], topic: string): GroupMember {
  return [...members].sort(
    (a, b) => (b.assignment[topic] ?? []).length - (a.assignment[topic] ?? []).length,
  )[0];
}

async function countFindings(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ count: string }>(
    `SELECT count(*) FROM sync_events WHERE event_type = ANY($1::text[])`,
    [FINDING_TYPES],
  );
  return Number(rows[0].count);
}

/** Every row of the sync event log about these runs (whatever its type). */
async function findings(pool: Pool, runIds: string[]): Promise<FindingRow[]> {
  const { rows } = await pool.query<FindingRow>(
    `SELECT source_id, event_type, mismatch_type, dedupe_key, details,
            published_at IS NOT NULL AS published
       FROM sync_events WHERE source_id = ANY($1::text[])`,
    [runIds],
  );
  return rows;
}

function sortKeys<T extends { entity_type: string; external_id: string }>(keys: T[]): T[] {
  return [...keys].sort((a, b) =>
    `${a.entity_type}/${a.external_id}`.localeCompare(`${b.entity_type}/${b.external_id}`),
  );
}
