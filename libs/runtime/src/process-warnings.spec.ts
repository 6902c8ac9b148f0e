import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { LoggerService } from '@nestjs/common';
import { routeProcessWarnings, warningKind } from './process-warnings';

describe('routeProcessWarnings', () => {
  let saved: NodeJS.WarningListener[];

  beforeEach(() => {
    saved = process.listeners('warning');
  });

  afterEach(() => {
    process.removeAllListeners('warning');
    for (const listener of saved) process.on('warning', listener);
  });

  it('logs a kind of warning once through the service logger, and nothing to stderr', () => {
    const warned: string[] = [];
    const logger: LoggerService = {
      log: () => undefined,
      error: () => undefined,
      warn: (message: unknown) => void warned.push(String(message)),
    };
    routeProcessWarnings(logger);
    expect(process.listeners('warning')).toHaveLength(1);
    const timer = (ms: number) => {
      const warning = new Error(`${ms} is a negative number.`);
      warning.name = 'TimeoutNegativeWarning';
      process.emit('warning', warning);
    };
    timer(-17);
    timer(-42);
    process.emit('warning', Object.assign(new Error('something else'), { name: 'OtherWarning' }));
    expect(warned).toEqual([
      'TimeoutNegativeWarning: -17 is a negative number. (logged once per process)',
      'OtherWarning: something else (logged once per process)',
    ]);
  });

  it('tells kinds apart by name and code, not by message', () => {
    const a = Object.assign(new Error('x'), { name: 'DeprecationWarning', code: 'DEP0005' });
    const b = Object.assign(new Error('y'), { name: 'DeprecationWarning', code: 'DEP0005' });
    const c = Object.assign(new Error('x'), { name: 'DeprecationWarning', code: 'DEP0040' });
    expect(warningKind(a)).toBe(warningKind(b));
    expect(warningKind(a)).not.toBe(warningKind(c));
  });
});
