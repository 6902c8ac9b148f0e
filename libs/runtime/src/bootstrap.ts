/**
 * Starts a service process: validates the configuration once, builds the service's Nest
 * application from it as a hybrid application (HTTP for health and APIs, plus Bridge's event
 * transport for the `@ConsumeEvents` handlers), enables graceful shutdown (so consumers stop and
 * the store closes on SIGTERM), and listens on the configured port or the service's default
 * (on Kafka before its consumer groups are joined, so that a restarted service answers at once).
 */
import { Logger, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { CustomStrategy } from '@nestjs/microservices';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { loadConfig, type BridgeConfig } from '@bridge/config';
import { ConfigError } from '@bridge/errors';
import { BridgeTransportServer, enableMessageContext } from '@bridge/messaging';
import { applyHttpExposure, gateManagementPaths, listenForManagement } from './http-exposure';
import { routeProcessWarnings } from './process-warnings';
import { serviceLoggerFor } from './service-logger';

/** Default HTTP ports, so that the services can run side by side on one machine. */
export const DEFAULT_PORTS = {
  api: 3000,
  ingest: 3001,
  checker: 3002,
  repair: 3003,
  scanner: 3004,
} as const;

export type ServiceName = keyof typeof DEFAULT_PORTS;

/** Builds a service's root module from the validated configuration. */
export type ServiceModuleFactory = (config: BridgeConfig) => DynamicModule;

/**
 * Connects Bridge's event transport to an application and starts its consumers: every
 * `@ConsumeEvents` handler of every module in `app` subscribes. Tests that build an
 * application with `@nestjs/testing` call this too, so they run the same consumers.
 */
export async function startConsumers(app: INestApplication): Promise<void> {
  app.connectMicroservice<CustomStrategy>({ strategy: app.get(BridgeTransportServer) });
  await app.startAllMicroservices();
}

/**
 * Creates, starts (on Kafka HTTP, then consumers; in process the other way round) and returns
 * a service's application.
 *
 * @param configure HTTP settings a module needs before the server starts (body limits…).
 */
export async function bootstrapService(
  name: string,
  rootModule: DynamicModule,
  config: BridgeConfig,
  defaultPort: number,
  configure: (app: NestExpressApplication) => void = () => {},
): Promise<INestApplication> {
  // The message context shows in JSON logs only; elsewhere it would cost CPU for nothing.
  if (config.logFormat === 'json') enableMessageContext();
  const logger = serviceLoggerFor(config, name);
  routeProcessWarnings(logger);
  const app = await NestFactory.create<NestExpressApplication>(rootModule, { logger });
  app.enableShutdownHooks();
  applyHttpExposure(app, config.http);
  gateManagementPaths(app, config.http);
  configure(app);
  const port = config.http.port ?? defaultPort;
  if (config.transport.kind === 'kafka') {
    // HTTP first: joining a consumer group after a crash waits until the coordinator drops
    // the dead member (KAFKA_SESSION_TIMEOUT_MS), and meanwhile liveness, metrics and the API
    // must answer. Kafka keeps what is published in between for the consumers.
    await app.listen(port, config.http.host);
    await listenForManagement(app, config.http);
    await startConsumers(app);
  } else {
    // The in-process bus delivers only to subscribed consumers: they start before anything
    // (the simulator's traffic, a relay) can publish.
    await startConsumers(app);
    await app.listen(port, config.http.host);
    await listenForManagement(app, config.http);
  }
  new Logger(`bridge-${name}`).log(
    `listening on http://${config.http.host}:${port} (transport ${config.transport.kind}, store ${config.store.kind})`,
  );
  return app;
}

/**
 * Runs one service as a process entry point: any start-up failure exits non-zero.
 *
 * @param configure what the service's HTTP server needs before it listens (see
 *   `bootstrapService`), e.g. the API's OpenAPI page.
 */
export function runService(
  name: ServiceName,
  moduleFor: ServiceModuleFactory,
  configure?: (app: NestExpressApplication) => void,
): void {
  exitOnFailure(`bridge-${name}`, () => {
    const config = loadConfig();
    return bootstrapService(name, moduleFor(config), config, DEFAULT_PORTS[name], configure);
  });
}

/**
 * Runs `start`; logs a failure and exits the process non-zero. A configuration problem is the
 * operator's to fix and says so itself: its message alone, without a stack trace.
 */
export function exitOnFailure(context: string, start: () => Promise<unknown>): void {
  start().catch((error: unknown) => {
    const text =
      error instanceof ConfigError
        ? error.message
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error);
    new Logger(context).error(text);
    process.exit(1);
  });
}
