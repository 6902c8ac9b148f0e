import { randomUUID } from 'node:crypto';
import { Topics, validateEvent } from '@bridge/contracts';
import {
  confirmEviction,
  evictionClosureFor,
  evictionRepairedEvent,
} from './eviction-confirmation';

describe('eviction confirmation', () => {
  it('settles a stale-cache finding only when every artifact it named is evicted', () => {
    const details = {
      check_type: 'canon_staleness' as const,
      run_id: null,
      pipeline_id: null,
      source_event_id: randomUUID(),
      triggered_at: 1,
      attempts: 1,
      change: 'DELETED',
      artifact_ids: ['x1', 'x2'],
      entities: [{ entity_type: 's', external_id: '1' }],
    };
    const first = confirmEviction(details, ['x1', 'other']);
    expect(first).toEqual({
      details: { ...details, evicted_artifact_ids: ['x1'] },
      complete: false,
    });
    expect(confirmEviction(first.details, ['x2']).complete).toBe(true);
  });

  it('announces a settled stale cache as a valid bridge.sync.repaired, with the same id every time', () => {
    const byCanon = { as: 'resolved', by: 'canon' } as const;
    const event = evictionRepairedEvent(
      '7d3c1a52-3f1e-4c53-9f5e-0b1d2f3a4b5c',
      1_700_000_000_000,
      byCanon,
    );
    validateEvent(Topics.BridgeSyncRepaired, event);
    expect(event).toMatchObject({
      sync_event_id: '7d3c1a52-3f1e-4c53-9f5e-0b1d2f3a4b5c',
      mismatch_type: 'stale_cache',
      resolution: 'evicted',
      resolved_by: 'canon',
      occurred_at: 1_700_000_000_000,
    });
    expect(evictionRepairedEvent('7d3c1a52-3f1e-4c53-9f5e-0b1d2f3a4b5c', 1, byCanon).event_id).toBe(
      event.event_id,
    );
    expect(
      evictionRepairedEvent('0e8d2f4b-9a6c-4d1e-8b7a-5c3d2e1f0a9b', 1, byCanon).event_id,
    ).not.toBe(event.event_id);
  });

  it('calls an eviction a repair only when a repair asked for it, and healing otherwise', () => {
    const plan = (state: 'pending' | 'requested') => ({
      kind: 'evict' as const,
      mode: 'immediate' as const,
      artifacts: [{ artifact_id: 'a1', state, error: null }],
      entities: [],
    });
    expect(evictionClosureFor({ plan: plan('requested') }, 1)).toEqual({
      as: 'resolved',
      by: 'canon',
    });
    const healed = {
      as: 'healed',
      reason: 'Canon evicted the 2 stale artifacts by itself',
    } as const;
    expect(evictionClosureFor({ plan: plan('pending') }, 2)).toEqual(healed);
    expect(evictionClosureFor(null, 2)).toEqual(healed);
    const event = evictionRepairedEvent('7d3c1a52-3f1e-4c53-9f5e-0b1d2f3a4b5c', 1, healed);
    validateEvent(Topics.BridgeSyncRepaired, event);
    expect(event).toMatchObject({
      resolution: 'healed',
      resolved_by: 'bridge',
      reason: 'Canon evicted the 2 stale artifacts by itself',
    });
  });
});
