/**
 * The Bridge pipeline on the real local stack, for integration tests: the component simulator
 * (serving HTTP on a free port and publishing to Kafka), the ingest and checker services (in
 * this process, or the checker as a child process that a test can kill), a fresh PostgreSQL
 * database, a unique consumer-group prefix so earlier tests' offsets do not interfere, and an
 * observer that collects everything Bridge publishes (`bridge.sync.*` and dead letters).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test, type TestingModuleBuilder } from '@nestjs/testing';
import { Pool } from 'pg';
import type { BridgeConfig } from '@bridge/config';
import { DEAD_LETTER_TOPIC, OUTBOUND_TOPICS, type Topic } from '@bridge/contracts';
import { EventSubscriber, type ReceivedEvent, type Subscription } from '@bridge/messaging';
import { expect } from '@jest/globals';
import {
  syncEventFromRow,
  type SyncEvent,
  type SyncEventOf,
  type SyncEventRow,
  type SyncEventType,
} from '@bridge/store';
import { startConsumers } from '@bridge/runtime';
import {
  ComponentSimModule,
  ComponentSimulator,
  loadSimSettings,
  configureSimHttp,
  SIM_HTTP_OPTIONS,
} from '@bridge/simulator';
import { CheckerModule } from '@bridge/checks';
import { IngestModule } from '@bridge/ingest';
import { RepairModule } from '@bridge/repair';
import { eventually, freshDatabase, stackConfig, stackEnv } from './stack-config';

/** Fails the test unless the row is of `eventType`; past it, the row's details are typed. */
export function expectKind<T extends SyncEventType>(
  row: SyncEvent,
  eventType: T,
): asserts row is SyncEventOf<T> {
  expect(row.eventType).toBe(eventType);
}

export interface PipelineOptions {
  /** Extra Bridge environment (grace delay, retry delays…). */
  env?: NodeJS.ProcessEnv;
  /** Run the checker as a child process (so a test can kill it) instead of in this process. */
  checkerInChild?: boolean;
  /** Start the checker later, with `startChecker`. */
  deferChecker?: boolean;
  /** Also run the repair service in this process (more with `startRepair`). */
  repair?: boolean;
}

export class Pipeline {
  readonly observed: Array<ReceivedEvent<Topic>> = [];
  checker?: INestApplication;
  checkerChild?: ChildProcess;
  /** Repair services started in this process, first one first. */
  readonly repairs: INestApplication[] = [];
  private observer?: Subscription;

  constructor(
    readonly sim: ComponentSimulator,
    readonly simApp: INestApplication,
    readonly ingest: INestApplication,
    readonly env: NodeJS.ProcessEnv,
    readonly config: BridgeConfig,
    readonly db: { url: string; drop: () => Promise<void> },
    readonly pool: Pool,
  ) {}

  async observe(): Promise<void> {
    this.observer = await this.simApp.get(EventSubscriber).subscribe({
      groupId: `${this.config.consumerGroupPrefix}-observer`,
      topics: [...OUTBOUND_TOPICS, DEAD_LETTER_TOPIC],
      handler: (received) => {
        this.observed.push(received);
        return Promise.resolve();
      },
    });
  }

  async startChecker(inChild: boolean): Promise<void> {
    if (!inChild) {
      this.checker = await bootApp(CheckerModule.forRoot(this.config));
      return;
    }
    this.checkerChild = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', checkerMain],
      {
        cwd: join(__dirname, '..'),
        env: { ...process.env, ...this.env, HTTP_PORT: '0', TS_NODE_TRANSPILE_ONLY: 'true' },
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    );
  }

  /** Starts one more repair service in this process (each one its own worker). */
  async startRepair(): Promise<INestApplication> {
    const app = await bootApp(RepairModule.forRoot(this.config));
    this.repairs.push(app);
    return app;
  }

  /** SIGKILL: no shutdown hooks, no final commit, exactly like a crashed process. */
  async killCheckerChild(): Promise<void> {
    const child = this.checkerChild;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  /** Rows of the sync event log whose source id is one of `sourceIds`, typed as the log reads them. */
  async rows(sourceIds: string[]): Promise<SyncEvent[]> {
    const result = await this.pool.query<SyncEventRow>(
      `SELECT * FROM sync_events WHERE source_id = ANY($1::text[]) ORDER BY created_at`,
      [sourceIds],
    );
    return result.rows.map(syncEventFromRow);
  }

  /** The row with this id, as the log reads it. */
  async row(id: string): Promise<SyncEvent> {
    const result = await this.pool.query<SyncEventRow>(`SELECT * FROM sync_events WHERE id = $1`, [
      id,
    ]);
    if (result.rows.length === 0) throw new Error(`no sync event ${id}`);
    return syncEventFromRow(result.rows[0]);
  }

  /** Waits until the source has a row of one of `eventTypes` and returns it. */
  async finding<T extends SyncEventType>(
    sourceId: string,
    eventTypes: T[],
    timeoutMs = 30_000,
  ): Promise<SyncEventOf<T>> {
    const wanted: readonly SyncEventType[] = eventTypes;
    return eventually(
      async () =>
        (await this.rows([sourceId])).find((row): row is SyncEventOf<T> =>
          wanted.includes(row.eventType),
        ),
      timeoutMs,
      `a ${eventTypes.join('/')} row for ${sourceId}`,
    );
  }

  /** Outbound events seen so far on `topic` that satisfy `match`. */
  seen<T extends Topic>(topic: T, match: (event: ReceivedEvent<T>['event']) => boolean) {
    return this.observed
      .filter((received) => received.topic === topic)
      .map((received) => received.event as ReceivedEvent<T>['event'])
      .filter(match);
  }

  async close(): Promise<void> {
    await this.killCheckerChild();
    await this.observer?.stop();
    for (const repair of this.repairs) await repair.close();
    await this.checker?.close();
    await this.ingest.close();
    await this.simApp.close();
    await this.pool.end();
    await this.db.drop();
  }
}

const checkerMain = join(__dirname, '..', 'apps', 'checker', 'src', 'main.ts');

/**
 * Boots a service module in this process, its consumers started, as its `main.ts` would
 * (`configure` as `runService` takes it: HTTP settings before the server starts). `replace`
 * swaps providers before compiling, for a test that must keep an effect to itself.
 */
export async function bootApp(
  module: ReturnType<typeof IngestModule.forRoot>,
  configure: (app: INestApplication) => void = () => undefined,
  replace: (builder: TestingModuleBuilder) => TestingModuleBuilder = (builder) => builder,
): Promise<INestApplication> {
  const moduleRef = await replace(Test.createTestingModule({ imports: [module] })).compile();
  const app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  configure(app);
  await startConsumers(app);
  await app.init();
  return app;
}

/** The test's own connections; a test that cuts the database must not crash the runner. */
function observerPool(url: string): Pool {
  const pool = new Pool({ connectionString: url, max: 2 });
  pool.on('error', () => undefined);
  return pool;
}

/**
 * The component simulator in this process (HTTP on a free port, publishing to Kafka), a fresh
 * database and a unique consumer-group prefix, with the Bridge environment that points
 * services at all of it (fast component clients, short grace and retry delays), whether the
 * services then run in this process or as child processes.
 */
export interface SimulatedComponents {
  sim: ComponentSimulator;
  simApp: INestApplication;
  /**
   * Bridge environment for the services: stack, database, prefix, simulator URLs, `extraEnv`
   * (whose `KAFKA_BROKERS`, if given, the simulator publishes to as well).
   */
  env: NodeJS.ProcessEnv;
  prefix: string;
  simUrl: string;
  db: { url: string; drop: () => Promise<void> };
}

export async function startSimulatedComponents(
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<SimulatedComponents> {
  const stack = stackEnv();
  const db = await freshDatabase();
  const prefix = `t${randomUUID().slice(0, 8)}`;
  const baseEnv: NodeJS.ProcessEnv = {
    BRIDGE_TRANSPORT: 'kafka',
    KAFKA_BROKERS: extraEnv.KAFKA_BROKERS ?? stack.brokers,
    SCHEMA_REGISTRY_URL: stack.registryUrl,
    BRIDGE_STORE: 'postgres',
    DATABASE_URL: db.url,
    CONSUMER_GROUP_PREFIX: prefix,
    LOG_LEVEL: 'warn',
  };

  const simConfig = stackConfig({ ...baseEnv, KAFKA_CLIENT_ID: `${prefix}-sim` });
  const simModuleRef = await Test.createTestingModule({
    imports: [
      ComponentSimModule.forRoot(
        simConfig,
        loadSimSettings({ SIM_PORT: '0', SIM_ID_PREFIX: prefix, SIM_HANG_MS: '3000' }),
      ),
    ],
  }).compile();
  const simApp = simModuleRef.createNestApplication<NestExpressApplication>({
    ...SIM_HTTP_OPTIONS,
    logger: ['error', 'warn'],
  });
  configureSimHttp(simApp);
  await simApp.listen(0, '127.0.0.1');
  const { port } = simApp.getHttpServer().address() as AddressInfo;
  const simUrl = `http://127.0.0.1:${port}`;

  const manifestDir = mkdtempSync(join(tmpdir(), 'bridge-manifest-'));
  const manifestFile = join(manifestDir, 'components.json');
  const fastClient = {
    timeoutMs: 1_000,
    retry: { maxAttempts: 2, initialDelayMs: 20, maxDelayMs: 50 },
    circuitBreaker: { consecutiveFailures: 5, halfOpenAfterMs: 300 },
  };
  writeFileSync(
    manifestFile,
    JSON.stringify({
      cappella: fastClient,
      hippo: { ...fastClient, capabilities: { bulkLookup: true } },
      canon: fastClient,
    }),
  );
  const env: NodeJS.ProcessEnv = {
    ...baseEnv,
    CAPPELLA_URL: simUrl,
    HIPPO_URL: simUrl,
    CANON_URL: simUrl,
    COMPONENT_MANIFEST_FILE: manifestFile,
    CHECK_GRACE_DELAY_MS: '1500',
    CHECK_RETRY_DELAYS_MS: '300,600',
    CONSUMER_MAX_ATTEMPTS: '3',
    CONSUMER_RETRY_INITIAL_MS: '20',
    CONSUMER_RETRY_MAX_MS: '100',
    ...extraEnv,
  };
  return { sim: simApp.get(ComponentSimulator), simApp, env, prefix, simUrl, db };
}

export async function startPipeline(options: PipelineOptions = {}): Promise<Pipeline> {
  const { sim, simApp, env, db } = await startSimulatedComponents(options.env);
  const config = stackConfig(env);
  const ingest = await bootApp(IngestModule.forRoot(config));
  const pipeline = new Pipeline(sim, simApp, ingest, env, config, db, observerPool(db.url));
  await pipeline.observe();
  if (!options.deferChecker) await pipeline.startChecker(options.checkerInChild ?? false);
  if (options.repair) await pipeline.startRepair();
  return pipeline;
}
