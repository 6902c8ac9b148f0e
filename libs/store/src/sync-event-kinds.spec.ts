import { SyncEventTypes, initialStateOf } from './sync-event-kinds';

describe('initialStateOf', () => {
  it('opens findings and records everything else', () => {
    expect(initialStateOf(SyncEventTypes.Mismatch)).toBe('open');
    expect(initialStateOf(SyncEventTypes.StaleCache)).toBe('open');
    expect(initialStateOf(SyncEventTypes.CheckFailed)).toBe('open');
    expect(initialStateOf(SyncEventTypes.Ok)).toBe('record');
    expect(initialStateOf(SyncEventTypes.CacheClean)).toBe('record');
    expect(initialStateOf(SyncEventTypes.CacheEvicted)).toBe('record');
    expect(initialStateOf(SyncEventTypes.IngestBatchCompleted)).toBe('record');
    expect(initialStateOf(SyncEventTypes.ReconciliationCompleted)).toBe('record');
  });
});
