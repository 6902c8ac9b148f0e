/**
 * Every service boots in distributed mode against the real stack and reports healthy: the
 * store (PostgreSQL, migrated) and the transport (Kafka broker) both answer.
 */
import type { DynamicModule, INestApplication } from '@nestjs/common';
import type { Server } from 'node:http';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import type { BridgeConfig } from '@bridge/config';
import { startConsumers } from '@bridge/runtime';
import { ApiModule } from '../apps/api/src/api.module';
import { CheckerModule } from '../apps/checker/src/checker.module';
import { IngestModule } from '../apps/ingest/src/ingest.module';
import { RepairModule } from '../apps/repair/src/repair.module';
import { ScannerModule } from '../apps/scanner/src/scanner.module';
import { stackConfig } from './stack-config';

const services: Array<[string, (config: BridgeConfig) => DynamicModule]> = [
  ['ingest', (c) => IngestModule.forRoot(c)],
  ['checker', (c) => CheckerModule.forRoot(c)],
  ['repair', (c) => RepairModule.forRoot(c)],
  ['scanner', (c) => ScannerModule.forRoot(c)],
  ['api', (c) => ApiModule.forRoot(c)],
];

describe.each(services)('%s service', (name, moduleFor) => {
  let app: INestApplication;

  afterEach(async () => {
    await app?.close();
  });

  it('boots on Kafka and PostgreSQL and answers GET /health with both up', async () => {
    const moduleRef = await Test.createTestingModule({
      // The api service needs a credential to start (any token digest will do here).
      imports: [moduleFor(stackConfig({ API_TOKENS: `admin:boot-test:${'0'.repeat(64)}` }))],
    }).compile();
    app = moduleRef.createNestApplication({ logger: ['error', 'warn'] });
    app.enableShutdownHooks();
    await startConsumers(app);
    await app.init();
    const response = await request(app.getHttpServer() as Server)
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
