/**
 * The console logger of every Bridge process: Nest's own, minus the start-up chatter (one line
 * per module, controller and route) that would bury what an operator needs to see at the `log`
 * level. At `debug` and `verbose` nothing is hidden.
 */
import { ConsoleLogger, type LogLevel } from '@nestjs/common';

/** Nest contexts that only describe the application being assembled. */
const STARTUP_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
  'NestMicroservice',
]);

export class ServiceLogger extends ConsoleLogger {
  private readonly showStartup: boolean;

  constructor(levels: LogLevel[]) {
    super({ logLevels: levels });
    this.showStartup = levels.includes('debug');
  }

  override log(message: unknown, context?: string): void {
    if (!this.showStartup && context !== undefined && STARTUP_CONTEXTS.has(context)) return;
    if (context === undefined) super.log(message);
    else super.log(message, context);
  }
}
