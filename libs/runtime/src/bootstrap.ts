/**
 * Starts a service process: validates the configuration once, builds the service's Nest
 * application from it, enables graceful shutdown (so consumers stop and the store closes on
 * SIGTERM), and listens on the configured port or the service's default one.
 */
import { Logger, type DynamicModule, type INestApplication, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { loadConfig, type BridgeConfig } from '@bridge/config';

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

const LOG_LEVELS: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

export async function bootstrapService(
  name: ServiceName,
  moduleFor: ServiceModuleFactory,
): Promise<INestApplication> {
  const config = loadConfig();
  const app = await NestFactory.create(moduleFor(config), {
    logger: LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(config.logLevel) + 1),
  });
  app.enableShutdownHooks();
  const port = config.http.port ?? DEFAULT_PORTS[name];
  await app.listen(port, config.http.host);
  new Logger(`bridge-${name}`).log(
    `listening on http://${config.http.host}:${port} (transport ${config.transport.kind}, store ${config.store.kind})`,
  );
  return app;
}

/** Runs `bootstrapService` as a process entry point: any start-up failure exits non-zero. */
export function runService(name: ServiceName, moduleFor: ServiceModuleFactory): void {
  bootstrapService(name, moduleFor).catch((error: unknown) => {
    new Logger(`bridge-${name}`).error(
      error instanceof Error ? (error.stack ?? error.message) : String(error),
    );
    process.exit(1);
  });
}
