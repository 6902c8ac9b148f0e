/**
 * `npm start`: Bridge Sync in one process with nothing else installed. Every service (ingest,
 * checker, repair, scanner, the query API with an admin token of its own) on the in-process bus, PGlite persisted in the data directory, and the component simulator producing
 * a steady stream with faults. Ctrl-C stops it cleanly (queued work is finished first); started
 * again it resumes on the same data.
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadConfig } from '@bridge/config';
import { bootstrapService, exitOnFailure } from '@bridge/runtime';
import { loadSimSettings } from '@bridge/simulator';
import {
  configureApiHttp,
  ApiCredentials,
  CONSOLE_PATH,
  OPENAPI_PAGE_PATH,
  API_PREFIX,
} from '@bridge/query-api';
import { ensureAdminToken, prepareDataDir, withAdminToken } from './admin-token';
import { AllInOneModule } from './all-in-one.module';
import { lockDataDir } from './data-dir-lock';
import { withSimulatedComponentAuth } from './simulated-component-auth';
import { embeddedEnvironment } from './embedded-environment';
import { configureEmbeddedHttp } from './embedded-exposure';

exitOnFailure('bridge', async () => {
  const started = Date.now();
  const embedded = embeddedEnvironment(process.env, process.cwd());
  const dataDir = prepareDataDir(embedded.dataDir);
  const unlock = lockDataDir(embedded.dataDir);
  const admin = ensureAdminToken(embedded.dataDir);
  const env = withSimulatedComponentAuth(
    withAdminToken(embedded.env, admin.token),
    embedded.dataDir,
    embedded.componentsUrl,
  );
  const config = loadConfig(env);
  const sim = loadSimSettings(env);
  await bootstrapService(
    'all-in-one',
    AllInOneModule.forRoot(config, sim, unlock),
    config,
    embedded.port,
    (app) => {
      configureEmbeddedHttp(app, new ApiCredentials(config.api));
      configureApiHttp(app);
    },
  );
  const logger = new Logger('bridge');
  if (dataDir.tightened) {
    logger.warn(`${embedded.dataDir} was readable by others: now for its owner only (0700)`);
  }
  const store = config.store.kind === 'pglite' ? config.store.dataDir : 'PostgreSQL';
  logger.log(`data: ${store ?? 'in memory'} (delete it to start afresh)`);
  logger.log(
    `simulated Cappella, Hippo and Canon at ${embedded.componentsUrl}/{cappella,hippo,canon}; ` +
      `demo traffic ${sim.demo.ratePerSecond} run(s)/s; Bridge authenticates to them with ${sim.auth.kind === 'none' ? 'no credentials' : sim.auth.kind === 'oauth2' ? 'OAuth2 tokens from their /oauth/token' : 'a bearer token'}`,
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
  // The token itself is never logged: logs travel further than the data directory.
  logger.log(
    `admin token${admin.created ? ' (new)' : ''}: kept in ${admin.file}, readable by you only; ` +
      `read it with \`cat ${admin.file}\` and send it as "Authorization: Bearer <token>"`,
  );
  logger.log(`ready in ${Date.now() - started} ms; Ctrl-C stops`);
});
