/**
 * Every service boots in distributed mode against the real stack and reports healthy: the
 * store (PostgreSQL, migrated) and the transport (Kafka broker) both answer.
 */
import type { DynamicModule, INestApplication } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { BridgeConfig } from '@bridge/config';
import { startConsumers } from '@bridge/runtime';
import { ApiModule } from '@bridge/query-api';
import { CheckerModule } from '@bridge/checks';
import { IngestModule } from '@bridge/ingest';
import { RepairModule } from '@bridge/repair';
import { ScannerModule } from '@bridge/scan';
import { freshDatabase, stackConfig } from './stack-config';

const services: Array<[string, (config: BridgeConfig) => DynamicModule]> = [
  ['ingest', (c) => IngestModule.forRoot(c)],
  ['checker', (c) => CheckerModule.forRoot(c)],
  ['repair', (c) => RepairModule.forRoot(c)],
  ['scanner', (c) => ScannerModule.forRoot(c)],
  ['api', (c) => ApiModule.forRoot(c)],
];

describe.each(services)('%s service', (name, moduleFor) => {
  let app: INestApplication | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;

  afterEach(async () => {
    await app?.close();
    await dropDatabase?.();
  });

  it('boots on Kafka and PostgreSQL and answers GET /health with both up', async () => {
    // Its own database and consumer groups: what earlier suites left on the shared broker is
    // not this service's to consume, nor their rows its to find.
    const db = await freshDatabase();
    dropDatabase = db.drop;
    const config = stackConfig({
      DATABASE_URL: db.url,
      CONSUMER_GROUP_PREFIX: `boot${randomUUID().slice(0, 8)}`,
      // The api service needs a credential to start (any token digest will do here).
      API_TOKENS: `admin:boot-test:${'0'.repeat(64)}`,
    });
    const moduleRef = await Test.createTestingModule({ imports: [moduleFor(config)] }).compile();
    const booted = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
    app = booted;
    booted.enableShutdownHooks();
    await startConsumers(booted);
    await booted.init();
    const response = await request(booted.getHttpServer() as Server)
      .get('/health')
      .expect(200);
    expect(response.body).toMatchObject({
      status: 'ok',
      details: {
        store: { status: 'up' },
        transport: { status: 'up', kind: 'kafka', service: name },
      },
    });
  });
});
