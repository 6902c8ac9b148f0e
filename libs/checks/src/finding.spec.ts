import { randomUUID } from 'node:crypto';
import { DEFAULT_STRATEGIES, validateEvent } from '@bridge/contracts';
import { initialStateOf, syncEventFromRow, type SyncEvent } from '@bridge/store';
import type { CheckWork } from './check-work';
import { stableEventId } from '@bridge/contracts';
import { findingFor, outboundEventFor } from './finding';

const work: CheckWork = {
  event_id: randomUUID(),
  occurred_at: 1,
  check_type: 'post_run',
  check_key: 'post_run:r9',
  source: 'cappella',
  source_event_id: randomUUID(),
  source_id: 'r9',
  run_id: 'r9',
  pipeline_id: 'p9',
  actor: 'bob',
  entities: [{ entity_type: 's', external_id: '1' }],
  change: null,
  triggered_at: 1,
  attempt: 1,
  not_before: null,
  delay_reason: null,
  last_error: null,
};

/** What the store gives back for a recorded finding: the row as stored, read through the log's parser. */
function stored(entry: ReturnType<typeof findingFor>): SyncEvent {
  return syncEventFromRow({
    id: randomUUID(),
    event_type: entry.eventType,
    source: entry.source,
    source_id: entry.sourceId,
    actor: entry.actor ?? null,
    details: JSON.parse(JSON.stringify(entry.details)),
    state: initialStateOf(entry.eventType),
    resolved: false,
    resolved_at: null,
    resolved_by: null,
    resolution_note: null,
    created_at: new Date(5_000),
    dedupe_key: entry.dedupeKey,
    mismatch_type: entry.mismatchType,
    repair_strategy: entry.repairStrategy,
    outbound_event_id: entry.publishes ? randomUUID() : null,
    published_at: null,
  });
}

describe('findings and their outbound events', () => {
  it('turns a missing_entity decision into a mismatch row and a valid bridge.sync.mismatch', () => {
    const missing = [{ entity_type: 's', external_id: '1' }];
    const entry = findingFor(
      work,
      { kind: 'mismatch', mismatchType: 'missing_entity', missing, checkedCount: 1 },
      { ...DEFAULT_STRATEGIES, missing_entity: 'resubmit_run' },
    );
    expect(entry).toMatchObject({
      eventType: 'bridge.sync.mismatch',
      dedupeKey: 'post_run:r9',
      mismatchType: 'missing_entity',
      repairStrategy: 'resubmit_run',
      publishes: true,
    });
    const row = stored(entry);
    const outbound = outboundEventFor(row);
    expect(outbound?.topic).toBe('bridge.sync.mismatch');
    expect(outbound?.event).toMatchObject({
      event_id: row.outboundEventId,
      sync_event_id: row.id,
      run_id: 'r9',
      missing_entities: missing,
      repair_strategy: 'resubmit_run',
      actor: 'bob',
    });
    expect(() => validateEvent('bridge.sync.mismatch', outbound?.event)).not.toThrow();
  });

  it('rebuilds a valid bridge.sync.ok and bridge.sync.stale_cache from stored rows', () => {
    const ok = outboundEventFor(
      stored(findingFor(work, { kind: 'ok', checkedCount: 1 }, DEFAULT_STRATEGIES)),
    );
    expect(ok?.topic).toBe('bridge.sync.ok');
    expect(() => validateEvent('bridge.sync.ok', ok?.event)).not.toThrow();

    const stale = outboundEventFor(
      stored(
        findingFor(
          { ...work, check_type: 'canon_staleness', check_key: 'canon_staleness:e', run_id: null },
          {
            kind: 'stale_cache',
            artifacts: [{ artifact_id: 'x', entity_type: 's', external_id: '1' }],
            entities: [{ entity_type: 's', external_id: '1' }],
          },
          DEFAULT_STRATEGIES,
        ),
      ),
    );
    expect(stale?.event).toMatchObject({ artifact_ids: ['x'], eviction_mode: 'next_sweep' });
    expect(() => validateEvent('bridge.sync.stale_cache', stale?.event)).not.toThrow();
  });

  it('announces neither a clean cache nor a failed check on a topic', () => {
    const failed = stored(findingFor(work, { kind: 'failed', reason: 'down' }, DEFAULT_STRATEGIES));
    expect(failed.eventType).toBe('bridge.sync.check_failed');
    expect(outboundEventFor(failed)).toBeNull();
  });

  it('derives the same valid UUID from the same name, and another from another name', () => {
    const id = stableEventId('repaired:1');
    expect(id).toBe(stableEventId('repaired:1'));
    expect(id).not.toBe(stableEventId('repaired:2'));
    // A real name-based UUID: version 5, RFC variant.
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
