import { inboundPartitionKey } from './inbound-partition-key';
import { Topics } from './generated/events';

describe('inboundPartitionKey', () => {
  const base = { event_id: '7b0c3c4e-4f52-4b53-9b39-7f1f1d3c0a11', occurred_at: 1, actor: 'a' };

  it('keys run events by run, so a run’s completion and failure stay in order', () => {
    const completed = { ...base, run_id: 'run-1', pipeline_id: 'p', outputs: [] };
    const failed = { ...base, run_id: 'run-1', pipeline_id: 'p', error: 'x', partial_outputs: [] };
    expect(inboundPartitionKey(Topics.CappellaRunCompleted, completed)).toBe('run-1');
    expect(inboundPartitionKey(Topics.CappellaRunFailed, failed)).toBe('run-1');
  });

  it('keys availability changes by their first entity and evictions by their first artifact', () => {
    const change = {
      ...base,
      change: 'DELETED' as const,
      entities: [
        { entity_type: 'sample', external_id: 'S1' },
        { entity_type: 'sample', external_id: 'S2' },
      ],
    };
    expect(inboundPartitionKey(Topics.HippoEntitiesAvailabilityChanged, change)).toBe('sample:S1');
    const eviction = { ...base, artifact_ids: ['art-9', 'art-1'], reason: 'r' };
    expect(inboundPartitionKey(Topics.CanonCacheEvicted, eviction)).toBe('art-9');
  });

  it('leaves an event that names nothing unkeyed', () => {
    const change = { ...base, change: 'AVAILABLE' as const, entities: [] };
    expect(inboundPartitionKey(Topics.HippoEntitiesAvailabilityChanged, change)).toBeUndefined();
  });
});
