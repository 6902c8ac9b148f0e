/**
 * Set up before every unit test file (jest.config.js): Nest's logger writes into the buffer
 * that jest.quiet-environment.js prints only for a failing test. With
 * `BRIDGE_TEST_LOG_LEVEL=debug` (or `log`, `warn`, `error`) the logs go to the console as they
 * happen, from that level up, for working on a test.
 */
import { ConsoleLogger, Logger, type LogLevel, type LoggerService } from '@nestjs/common';

const LEVELS: LogLevel[] = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'];

declare global {
  var __bridgeTestLogs: string[] | undefined;
}

class BufferedTestLogger implements LoggerService {
  log(message: unknown, context?: string): void {
    this.keep('log', message, context);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.keep('error', message, rest.at(-1));
  }
  warn(message: unknown, context?: string): void {
    this.keep('warn', message, context);
  }
  debug(message: unknown, context?: string): void {
    this.keep('debug', message, context);
  }
  verbose(message: unknown, context?: string): void {
    this.keep('verbose', message, context);
  }
  fatal(message: unknown, context?: string): void {
    this.keep('fatal', message, context);
  }

  private keep(level: LogLevel, message: unknown, context: unknown): void {
    const where = typeof context === 'string' ? `[${context}] ` : '';
    const text = message instanceof Error ? (message.stack ?? message.message) : String(message);
    globalThis.__bridgeTestLogs?.push(`${level.toUpperCase()} ${where}${text}`);
  }
}

const asked = process.env.BRIDGE_TEST_LOG_LEVEL as LogLevel | undefined;
if (asked !== undefined && LEVELS.includes(asked)) {
  Logger.overrideLogger(new ConsoleLogger({ logLevels: LEVELS.slice(LEVELS.indexOf(asked)) }));
} else {
  Logger.overrideLogger(new BufferedTestLogger());
}
