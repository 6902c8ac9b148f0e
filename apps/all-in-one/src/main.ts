/**
 * `npm start`: Bridge Sync in one process with nothing else installed. Every service (ingest,
 * checker, repair, scanner, the query API with an admin token of its own) on the in-process bus, PGlite persisted in the data directory, and the component simulator producing
 * a steady stream with faults. Ctrl-C stops it cleanly (queued work is finished first); started
 * again it resumes on the same data.
 */
import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import { loadConfig } from '@bridge/config';
import { bootstrapService, exitOnFailure } from '@bridge/runtime';
import { loadSimSettings } from '../../component-sim/src/sim-config';
import { configureSimHttp } from '../../component-sim/src/sim-http';
import { configureApiHttp } from '../../api/src/api-http';
import { CONSOLE_PATH } from '../../api/src/console/operator-console';
import { OPENAPI_PAGE_PATH } from '../../api/src/openapi';
import { API_PREFIX } from '../../api/src/api-prefix';
import { ensureAdminToken, withAdminToken } from './admin-token';
import { AllInOneModule } from './all-in-one.module';
import { lockDataDir } from './data-dir-lock';
import { embeddedEnvironment } from './embedded-environment';

exitOnFailure('bridge', async () => {
  const started = Date.now();
  const embedded = embeddedEnvironment(process.env, process.cwd());
  mkdirSync(embedded.dataDir, { recursive: true });
  const unlock = lockDataDir(embedded.dataDir);
  const admin = ensureAdminToken(embedded.dataDir);
  const config = loadConfig(withAdminToken(embedded.env, admin.token));
  const sim = loadSimSettings(embedded.env);
  await bootstrapService(
    'all-in-one',
    AllInOneModule.forRoot(config, sim, unlock),
    config,
    embedded.port,
    (app) => {
      configureSimHttp(app);
      configureApiHttp(app);
    },
  );
  const logger = new Logger('bridge');
  const store = config.store.kind === 'pglite' ? config.store.dataDir : 'PostgreSQL';
  logger.log(`data: ${store ?? 'in memory'} (delete it to start afresh)`);
  logger.log(
    `simulated Cappella, Hippo and Canon at ${embedded.componentsUrl}/{cappella,hippo,canon}; ` +
      `demo traffic ${sim.demo.ratePerSecond} run(s)/s`,
  );
  logger.log(
    `health: ${embedded.componentsUrl}/health/ready, metrics: ${embedded.componentsUrl}/metrics, activity: ${embedded.componentsUrl}/status`,
  );
  logger.log(
    `query API: ${embedded.componentsUrl}/${API_PREFIX}, its OpenAPI page: ${embedded.componentsUrl}/${OPENAPI_PAGE_PATH}`,
  );
  logger.log(
    `operator console: ${embedded.componentsUrl}${CONSOLE_PATH}/ (log in with the admin token)`,
  );
  logger.log(
    `admin token${admin.created ? ' (new)' : ''}: ${admin.token} (kept in ${admin.file}; send it as "Authorization: Bearer <token>")`,
  );
  logger.log(`ready in ${Date.now() - started} ms; Ctrl-C stops`);
});
