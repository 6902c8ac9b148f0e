import { retentionCutoffs } from './store-retention';

describe('retentionCutoffs', () => {
  it('turns each retention in days into the instant before which rows may go', () => {
    const now = new Date('2026-12-06T12:00:00Z');
    const cutoffs = retentionCutoffs(
      {
        processedEventsDays: 14,
        recordsDays: 7,
        closedFindingsDays: 90,
        requeuedDeadLettersDays: 30,
        pendingDeadLettersDays: 90,
        repairJobsDays: 90,
        scansDays: 30,
        auditDays: 400,
      },
      now,
    );
    expect(cutoffs.processedEventsDays.toISOString()).toBe('2026-11-22T12:00:00.000Z');
    expect(cutoffs.scansDays.toISOString()).toBe('2026-11-06T12:00:00.000Z');
    expect(cutoffs.auditDays.toISOString()).toBe('2025-11-01T12:00:00.000Z');
  });
});
