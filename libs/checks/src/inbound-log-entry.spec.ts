import { randomUUID } from 'node:crypto';
import { Topics } from '@bridge/contracts';
import { checkWorkFor } from './check-work';
import { inboundLogEntryFor } from './inbound-log-entry';

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
});
