/**
 * Node's process warnings through the service's logger. Node prints them to stderr as plain
 * text, which breaks a JSON log stream line by line (Node 26 warns about the negative timers
 * kafkajs sets, for instance). Routed here, each becomes a `warn` log line of the service, in
 * its format, and a kind of warning is logged once per process: the same warning from a timer
 * that fires every few milliseconds would otherwise drown the log.
 */
import type { LoggerService } from '@nestjs/common';

/** What identifies a kind of warning: its name and code, not its message (numbers vary). */
export function warningKind(warning: Error & { code?: string }): string {
  return `${warning.name}:${warning.code ?? ''}`;
}

/** Replaces Node's stderr printer of process warnings with `logger` (once per kind). */
export function routeProcessWarnings(logger: LoggerService): void {
  const seen = new Set<string>();
  // Node's own printer is a 'warning' listener added at start-up; it goes, ours stays.
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) => {
    const kind = warningKind(warning);
    if (seen.has(kind)) return;
    seen.add(kind);
    logger.warn(`${warning.name}: ${warning.message} (logged once per process)`, 'process');
  });
}
