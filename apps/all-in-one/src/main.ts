/**
 * `npm start`: Bridge Sync in one process with nothing else installed. Every service (ingest,
 * checker, repair, scanner, the query API with admin and producer tokens of its own) on the
 * in-process bus, PGlite persisted in the data directory, and the component simulator producing
 * a steady stream with faults. Ctrl-C stops it cleanly (queued work is finished first); started
 * again it resumes on the same data. With `BRIDGE_SIMULATOR=off` it watches real components
 * instead, which hand their events in over HTTP ingestion.
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
  INGEST_PATH,
} from '@bridge/query-api';
import { ensureToken, prepareDataDir, withEmbeddedTokens } from './embedded-tokens';
import { AllInOneModule } from './all-in-one.module';
import { lockDataDir } from './data-dir-lock';
import { withSimulatedComponentManifest } from './simulated-component-manifest';
import { embeddedEnvironment } from './embedded-environment';
import { configureEmbeddedHttp } from './embedded-exposure';

exitOnFailure('bridge', async () => {
  const started = Date.now();
  const embedded = embeddedEnvironment(process.env, process.cwd());
  const dataDir = prepareDataDir(embedded.dataDir);
  const unlock = lockDataDir(embedded.dataDir);
  const admin = ensureToken(embedded.dataDir, 'admin');
  const producer = ensureToken(embedded.dataDir, 'producer');
  const withTokens = withEmbeddedTokens(embedded.env, {
    admin: admin.token,
    producer: producer.token,
  });
  const env = embedded.simulator
    ? withSimulatedComponentManifest(withTokens, embedded.dataDir, embedded.componentsUrl)
    : withTokens;
  const config = loadConfig(env);
  const sim = embedded.simulator ? loadSimSettings(env) : null;
  await bootstrapService(
    'all-in-one',
    AllInOneModule.forRoot(config, sim, unlock),
    config,
    embedded.port,
    (app) => {
      if (sim) configureEmbeddedHttp(app, new ApiCredentials(config.api));
      configureApiHttp(app);
    },
  );
  const logger = new Logger('bridge');
  const here = embedded.componentsUrl;
  if (dataDir.tightened) {
    logger.warn(`${embedded.dataDir} was readable by others: now for its owner only (0700)`);
  }
  const store = config.store.kind === 'pglite' ? config.store.dataDir : 'PostgreSQL';
  logger.log(`data: ${store ?? 'in memory'} (delete it to start afresh)`);
  if (sim) {
    logger.log(
      `simulated Cappella, Hippo and Canon at ${here}/{cappella,hippo,canon}; ` +
        `demo traffic ${sim.demo.ratePerSecond} run(s)/s; Bridge authenticates to them with ${sim.auth.kind === 'none' ? 'no credentials' : sim.auth.kind === 'oauth2' ? 'OAuth2 tokens from their /oauth/token' : 'a bearer token'}`,
    );
  } else {
    const urls = Object.entries(config.components)
      .map(([name, component]) => `${name} ${component.baseUrl}`)
      .join(', ');
    logger.log(`no simulator (BRIDGE_SIMULATOR=off): checking ${urls}`);
  }
  logger.log(`health: ${here}/health/ready, metrics: ${here}/metrics, activity: ${here}/status`);
  logger.log(`query API: ${here}/${API_PREFIX}, its OpenAPI page: ${here}/${OPENAPI_PAGE_PATH}`);
  logger.log(`operator console: ${here}${CONSOLE_PATH}/ (log in with the admin token)`);
  // Tokens are never logged: logs travel further than the data directory.
  logger.log(
    `admin token${admin.created ? ' (new)' : ''}: kept in ${admin.file}, readable by you only; ` +
      `read it with \`cat ${admin.file}\` and send it as "Authorization: Bearer <token>"`,
  );
  logger.log(
    `HTTP ingestion: components POST events to ${here}/${INGEST_PATH}/<topic> with the producer token kept in ${producer.file}`,
  );
  logger.log(`ready in ${Date.now() - started} ms; Ctrl-C stops`);
});
