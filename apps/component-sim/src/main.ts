/**
 * Process entry point of the component simulator (`npm run start:sim`): the simulated
 * Cappella, Hippo and Canon on `SIM_HOST:SIM_PORT` (default 127.0.0.1:4010, the components'
 * default base URL in Bridge's configuration), publishing on Bridge's configured transport.
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { loadConfig } from '@bridge/config';
import { serviceLoggerFor } from '@bridge/runtime';
import {
  ComponentSimModule,
  configureSimHttp,
  loadSimSettings,
  SIM_HTTP_OPTIONS,
} from '@bridge/simulator';

async function main(): Promise<void> {
  const config = loadConfig();
  const settings = loadSimSettings();
  const app = await NestFactory.create<NestExpressApplication>(
    ComponentSimModule.forRoot(config, settings),
    {
      ...SIM_HTTP_OPTIONS,
      logger: serviceLoggerFor(
        { logLevel: settings.logLevel, logFormat: config.logFormat },
        'component-sim',
      ),
    },
  );
  configureSimHttp(app);
  await app.listen(settings.port, settings.host);
  new Logger('component-sim').log(
    `listening on http://${settings.host}:${settings.port} (transport ${config.transport.kind}, seed ${settings.seed}, ids ${settings.idPrefix}-*)`,
  );
}

main().catch((error: unknown) => {
  new Logger('component-sim').error(
    error instanceof Error ? (error.stack ?? error.message) : String(error),
  );
  process.exit(1);
});
