/**
 * The loggers of every Bridge process, chosen by `LOG_FORMAT`:
 *
 * - `text`: Nest's console logger, for a terminal.
 * - `json`: one JSON object per line (pino), for a log pipeline. Each line carries the service,
 *   the level, the Nest context and, while a message is being handled, that message's
 *   coordinates, event id, run id and W3C trace id (see `@bridge/messaging` message context),
 *   so every line about one run can be found across the services.
 *
 * Both leave out the start-up chatter (one line per module, controller and route) that would
 * bury what an operator needs at the `log` level; at `debug` and `verbose` nothing is hidden.
 */
import { ConsoleLogger, type LoggerService, type LogLevel } from '@nestjs/common';
import { pino, type Logger as Pino } from 'pino';
import type { BridgeConfig } from '@bridge/config';
import { currentMessageContext } from '@bridge/messaging';

/** Nest contexts that only describe the application being assembled. */
const STARTUP_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
  'NestMicroservice',
]);

const LOG_LEVELS: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

/** Nest's log levels up to the configured one. */
export function logLevelsUpTo(level: BridgeConfig['logLevel']): LogLevel[] {
  return LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(level) + 1);
}

/** The logger the configuration asks for. */
export function serviceLoggerFor(
  config: Pick<BridgeConfig, 'logLevel' | 'logFormat'>,
  service: string,
): LoggerService {
  const levels = logLevelsUpTo(config.logLevel);
  return config.logFormat === 'json'
    ? new JsonServiceLogger(levels, service)
    : new ServiceLogger(levels);
}

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

/** How Nest's own console logger tells a stack trace from a context. */
const STACK_TRACE = /\n\s*at /;

/** Pino's level for each of Nest's. */
const PINO_LEVELS: Record<LogLevel, pino.Level> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

export class JsonServiceLogger implements LoggerService {
  private readonly pino: Pino;
  private readonly showStartup: boolean;

  /** @param destination where lines go: stdout unless a test captures them. */
  constructor(levels: LogLevel[], service: string, destination?: pino.DestinationStream) {
    this.showStartup = levels.includes('debug');
    const lowest = levels[levels.length - 1] ?? 'log';
    this.pino = pino(
      {
        level: PINO_LEVELS[lowest],
        base: { service, pid: process.pid },
        timestamp: pino.stdTimeFunctions.isoTime,
        formatters: { level: (label) => ({ level: label }) },
        mixin: () => ({ ...currentMessageContext() }),
      },
      // Synchronous: a line logged just before the process exits (a start-up failure) is kept.
      destination ?? pino.destination({ dest: 1, sync: true }),
    );
  }

  log(message: unknown, ...params: unknown[]): void {
    this.write('log', message, params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.write('error', message, params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.write('warn', message, params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.write('debug', message, params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.write('verbose', message, params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.write('fatal', message, params);
  }

  /**
   * Nest passes the context last (`log(message, context)`), and for errors the stack before
   * it (`error(message, stack, context)`, or `error(message, stack)` without a context).
   */
  private write(level: LogLevel, message: unknown, params: unknown[]): void {
    const texts = params.filter((p): p is string => typeof p === 'string');
    const stack = texts.find((text) => STACK_TRACE.test(text));
    const context = texts.filter((text) => text !== stack).pop();
    if (level === 'log' && !this.showStartup && context && STARTUP_CONTEXTS.has(context)) return;
    const fields: Record<string, unknown> = {};
    if (context !== undefined) fields.context = context;
    if (stack !== undefined) fields.stack = stack;
    if (message instanceof Error) {
      fields.err = message;
      this.pino[PINO_LEVELS[level]](fields, message.message);
    } else if (typeof message === 'object' && message !== null) {
      this.pino[PINO_LEVELS[level]]({ ...fields, ...message });
    } else {
      this.pino[PINO_LEVELS[level]](fields, String(message));
    }
  }
}
