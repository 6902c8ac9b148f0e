import { randomUUID } from 'node:crypto';
import { Topics, validateEvent } from '@bridge/contracts';
import { checkWorkFor } from './check-work';
import {
  confirmEviction,
  evictionClosureFor,
  evictionRepairedEvent,
  inboundLogEntryFor,
} from './inbound-log-entry';

describe('inbound events', () => {
  it('records a batch completion once per event id', () => {
    const event = {
      event_id: randomUUID(),
      occurred_at: 1,
      batch_id: 'b1',
      entity_type: 'sample',
      count: 3,
      actor: 'loader',
    };
    expect(inboundLogEntryFor({ topic: Topics.HippoIngestBatchCompleted, event })).toMatchObject({
      eventType: 'hippo.ingest.batch_completed',
      source: 'hippo',
      sourceId: 'b1',
      dedupeKey: `inbound:${event.event_id}`,
      actor: 'loader',
    });
    // A run completion is a check to run, not a fact to record.
    const run = {
      event_id: randomUUID(),
      occurred_at: 1,
      run_id: 'r1',
      pipeline_id: 'p1',
      outputs: [],
      actor: 'a',
    };
    expect(inboundLogEntryFor({ topic: Topics.CappellaRunCompleted, event: run })).toBeNull();
  });

  it('turns a completed run into post-run work keyed by the run', () => {
    const event = {
      event_id: randomUUID(),
      occurred_at: 42,
      run_id: 'r1',
      pipeline_id: 'p1',
      outputs: [{ entity_type: 's', external_id: '1' }],
      actor: 'a',
    };
    expect(checkWorkFor({ topic: Topics.CappellaRunCompleted, event }, 50)).toMatchObject({
      check_type: 'post_run',
      check_key: 'post_run:r1',
      source_event_id: event.event_id,
      triggered_at: 42,
      attempt: 1,
      entities: event.outputs,
    });
  });

  it('needs no check for a failed run that wrote nothing or entities becoming available', () => {
    const failed = {
      event_id: randomUUID(),
      occurred_at: 1,
      run_id: 'r',
      pipeline_id: 'p',
      error: 'boom',
      partial_outputs: [],
      actor: 'a',
    };
    expect(checkWorkFor({ topic: Topics.CappellaRunFailed, event: failed })).toBeNull();
    const available = {
      event_id: randomUUID(),
      occurred_at: 1,
      change: 'AVAILABLE' as const,
      entities: [{ entity_type: 's', external_id: '1' }],
      actor: 'a',
    };
    expect(
      checkWorkFor({ topic: Topics.HippoEntitiesAvailabilityChanged, event: available }),
    ).toBeNull();
    expect(
      checkWorkFor({
        topic: Topics.HippoEntitiesAvailabilityChanged,
        event: { ...available, change: 'DELETED' },
      }),
    ).toMatchObject({
      check_type: 'canon_staleness',
      check_key: `canon_staleness:${available.event_id}`,
    });
  });

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
