import { describe, expect, it } from '@jest/globals';
import { InvalidArgumentError } from 'commander';
import {
  bulkOutcomeLine,
  parseInteger,
  repairsNoun,
  snoozeUntil,
  type BulkOutcome,
} from './operator-input';

const NOW = new Date('2026-03-01T10:00:00.000Z');

describe('snoozeUntil', () => {
  it('turns a duration into the instant that long from now', () => {
    expect(snoozeUntil('30m', NOW)).toBe('2026-03-01T10:30:00.000Z');
    expect(snoozeUntil('2h', NOW)).toBe('2026-03-01T12:00:00.000Z');
    expect(snoozeUntil('1d', NOW)).toBe('2026-03-02T10:00:00.000Z');
    expect(snoozeUntil('1w', NOW)).toBe('2026-03-08T10:00:00.000Z');
    expect(snoozeUntil('45s', NOW)).toBe('2026-03-01T10:00:45.000Z');
    expect(snoozeUntil(' 1d12h30m ', NOW)).toBe('2026-03-02T22:30:00.000Z');
  });

  it('passes an instant (or anything else) on for the API to judge', () => {
    expect(snoozeUntil('2026-12-01T08:00:00+01:00', NOW)).toBe('2026-12-01T08:00:00+01:00');
    expect(snoozeUntil('tomorrow', NOW)).toBe('tomorrow');
    expect(snoozeUntil('2', NOW)).toBe('2');
  });

  it('refuses a duration of nothing and one no date can hold', () => {
    expect(() => snoozeUntil('0h', NOW)).toThrow(InvalidArgumentError);
    expect(() => snoozeUntil('0m0s', NOW)).toThrow(/longer than 0/);
    expect(() => snoozeUntil('999999999999w', NOW)).toThrow(/too long/);
  });
});

describe('parseInteger', () => {
  it('reads whole numbers, negative ones too', () => {
    expect(parseInteger('10')).toBe(10);
    expect(parseInteger('-5')).toBe(-5);
    expect(parseInteger('0')).toBe(0);
  });

  it('refuses anything else', () => {
    for (const text of ['', 'ten', '1.5', '1e3', '0x10', '-', '99999999999999999999']) {
      expect(() => parseInteger(text)).toThrow(InvalidArgumentError);
    }
  });
});

describe('bulkOutcomeLine', () => {
  const outcome = (fields: Partial<BulkOutcome>): BulkOutcome => ({
    action: 'resolve',
    dry_run: true,
    matched: 5,
    selected: 5,
    acted: 0,
    ids: [],
    ...fields,
  });

  it('previews a dry run, saying when max holds it to fewer than matched', () => {
    expect(bulkOutcomeLine(outcome({}), 'open findings')).toBe(
      'would resolve 5 of 5 open findings',
    );
    expect(bulkOutcomeLine(outcome({ action: 'recheck', selected: 2 }), 'open findings')).toBe(
      'would recheck 2 of 5 open findings (at most 2 in one call)',
    );
    expect(bulkOutcomeLine(outcome({ matched: 0, selected: 0 }), 'open findings')).toBe(
      'would resolve 0 of 0 open findings',
    );
  });

  it('says what it did, and how many changed meanwhile', () => {
    expect(bulkOutcomeLine(outcome({ dry_run: false, acted: 5 }), 'open findings')).toBe(
      'resolved 5 of 5 open findings',
    );
    expect(
      bulkOutcomeLine(
        outcome({ action: 'recheck', dry_run: false, selected: 3, acted: 3 }),
        'open findings',
      ),
    ).toBe('asked a re-check of 3 of 5 open findings (at most 3 in one call)');
    expect(
      bulkOutcomeLine(
        outcome({ action: 'approve', dry_run: false, matched: 2, selected: 2, acted: 1 }),
        repairsNoun(undefined),
      ),
    ).toBe(
      'approved 1 of 2 repairs awaiting approval or expired; 1 changed meanwhile and were left alone',
    );
  });

  it('names the repairs a state filter selects', () => {
    expect(repairsNoun('AWAITING_APPROVAL')).toBe('repairs awaiting approval');
    expect(repairsNoun('EXPIRED')).toBe('expired repairs');
  });
});
