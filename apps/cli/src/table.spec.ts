import { describe, expect, it } from '@jest/globals';
import { exitCodeOf, EXIT_CODES } from './api-client';
import { formatRecord, formatTable } from './table';

describe('formatTable', () => {
  it('aligns columns under their headers, shows absent values as -, and cuts long cells', () => {
    const rows = [
      { id: 'a', state: 'DONE', error: null },
      { id: 'bbbb', state: 'FAILED', error: 'x'.repeat(100) },
    ];
    const table = formatTable(rows, [
      ['id', (r) => r.id],
      ['state', (r) => r.state],
      ['error', (r) => r.error],
    ]);
    const lines = table.split('\n');
    expect(lines[0]).toBe('id    state   error');
    expect(lines[1]).toBe('a     DONE    -');
    expect(lines[2].startsWith('bbbb  FAILED  xxx')).toBe(true);
    expect(lines[2].endsWith('…')).toBe(true);
    expect(lines[2].length).toBe('bbbb  FAILED  '.length + 60);
    expect(formatTable([], [['id', () => 1]])).toBe('(none)');
  });

  it('prints a record as aligned field: value lines', () => {
    expect(formatRecord({ id: 'x', counts: { a: 1 }, none: null })).toBe(
      'id      x\ncounts  {"a":1}\nnone    -',
    );
  });
});

describe('exit codes', () => {
  it('tells auth, refusals and outages apart', () => {
    expect(exitCodeOf(401)).toBe(EXIT_CODES.auth);
    expect(exitCodeOf(403)).toBe(EXIT_CODES.auth);
    expect(exitCodeOf(404)).toBe(EXIT_CODES.refused);
    expect(exitCodeOf(409)).toBe(EXIT_CODES.refused);
    expect(exitCodeOf(503)).toBe(EXIT_CODES.unavailable);
  });
});
