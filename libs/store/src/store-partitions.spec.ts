import { claimDayOf } from './processed-inbound-events';
import {
  FINDING_PARTITIONS,
  RECORD_PARTITIONS,
  partitionFor,
  partitionsBefore,
  partitionsToHave,
  rangeOfPartition,
} from './store-partitions';

describe('store partitions', () => {
  const at = (iso: string) => new Date(iso);

  it('names a day partition by its UTC day and a month partition by its month', () => {
    expect(partitionFor(RECORD_PARTITIONS, at('2026-12-31T23:59:59Z'))).toEqual({
      name: 'sync_events_record_20261231',
      from: '2026-12-31',
      to: '2027-01-01',
    });
    expect(partitionFor(FINDING_PARTITIONS, at('2026-12-06T10:00:00Z'))).toEqual({
      name: 'sync_events_finding_202612',
      from: '2026-12-01',
      to: '2027-01-01',
    });
  });

  it('wants the current unit and the configured number ahead, across month and year ends', () => {
    expect(
      partitionsToHave(RECORD_PARTITIONS, at('2026-12-30T12:00:00Z')).map((r) => r.name),
    ).toEqual([
      'sync_events_record_20261230',
      'sync_events_record_20261231',
      'sync_events_record_20270101',
      'sync_events_record_20270102',
    ]);
    expect(
      partitionsToHave(FINDING_PARTITIONS, at('2026-12-06T00:00:00Z')).map((r) => r.name),
    ).toEqual(['sync_events_finding_202612', 'sync_events_finding_202701']);
  });

  it('reads back only the names it gives, never the default partition or a hand-made one', () => {
    expect(rangeOfPartition(RECORD_PARTITIONS, 'sync_events_record_20261206')).toMatchObject({
      from: '2026-12-06',
      to: '2026-12-07',
    });
    for (const name of [
      'sync_events_record_default',
      'sync_events_record_20261306',
      'sync_events_record_2026120',
      'sync_events_finding_20261206',
      'sync_events_record_20261206_old',
    ]) {
      expect(rangeOfPartition(RECORD_PARTITIONS, name)).toBeNull();
    }
  });

  it('selects the partitions whose whole range is before the cutoff, oldest first', () => {
    const existing = [
      'sync_events_record_default',
      'sync_events_record_20261130',
      'sync_events_record_20261128',
      'sync_events_record_20261129',
    ];
    // A cutoff during the 30th: the 30th still holds rows younger than the cutoff.
    expect(
      partitionsBefore(RECORD_PARTITIONS, existing, at('2026-11-30T08:00:00Z')).map((r) => r.name),
    ).toEqual(['sync_events_record_20261128', 'sync_events_record_20261129']);
    expect(
      partitionsBefore(
        FINDING_PARTITIONS,
        ['sync_events_finding_202611'],
        at('2026-12-01T00:00:00Z'),
      ),
    ).toHaveLength(1);
    expect(
      partitionsBefore(
        FINDING_PARTITIONS,
        ['sync_events_finding_202611'],
        at('2026-11-30T23:00:00Z'),
      ),
    ).toHaveLength(0);
  });
});

describe('claimDayOf', () => {
  it('files an event under the UTC day it occurred, and an impossible time under one fixed day', () => {
    expect(claimDayOf(Date.UTC(2026, 11, 6, 23, 59, 59))).toBe('2026-12-06');
    expect(claimDayOf(Date.UTC(2026, 11, 7))).toBe('2026-12-07');
    for (const impossible of [Number.NaN, -1, 8.64e15, Number.POSITIVE_INFINITY]) {
      expect(claimDayOf(impossible)).toBe('1970-01-01');
    }
  });
});
