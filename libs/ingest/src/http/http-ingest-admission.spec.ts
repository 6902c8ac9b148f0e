import { randomUUID } from 'node:crypto';
import { Topics } from '@bridge/contracts';
import { admitHttpRecords, IngestRequestError } from './http-ingest-admission';

const LIMITS = { maxEventBytes: 4_096, maxItems: 50, maxRecords: 3 };

function runCompleted(overrides: Record<string, unknown> = {}) {
  return {
    event_id: randomUUID(),
    occurred_at: Date.parse('2026-12-01T10:00:00Z'),
    run_id: 'run-1',
    pipeline_id: 'pipe-1',
    outputs: [{ entity_type: 'sample', external_id: 'S1' }],
    actor: 'cappella',
    ...overrides,
  };
}

describe('admitHttpRecords', () => {
  it('admits valid records keyed as a component keys them', () => {
    const record = runCompleted();
    const { admitted, refused } = admitHttpRecords(
      Topics.CappellaRunCompleted,
      { records: [record] },
      LIMITS,
    );
    expect(refused).toEqual([]);
    expect(admitted).toEqual([{ index: 0, event: record, key: 'run-1' }]);
  });

  it('refuses a bad record naming its field, and still admits the others', () => {
    const good = runCompleted();
    const bad = runCompleted({ outputs: [{ entity_type: 'sample', external_id: 7 }] });
    const { admitted, refused } = admitHttpRecords(
      Topics.CappellaRunCompleted,
      { records: [bad, good] },
      LIMITS,
    );
    expect(admitted.map((a) => a.index)).toEqual([1]);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ index: 0, event_id: bad.event_id, code: 400 });
    expect(refused[0].problems).toEqual([expect.stringContaining('outputs.0.external_id')]);
  });

  it('refuses an event id that is not a UUID, which the store could not claim', () => {
    const { refused } = admitHttpRecords(
      Topics.CappellaRunCompleted,
      { records: [runCompleted({ event_id: 'x' })] },
      LIMITS,
    );
    expect(refused[0]).toMatchObject({ code: 400, event_id: 'x' });
    expect(refused[0].problems[0]).toMatch(/^event_id: expected logical:uuid/);
  });

  it('writes event ids in lower case, as the store reads them back', () => {
    const id = randomUUID().toUpperCase();
    const { admitted } = admitHttpRecords(
      Topics.CappellaRunCompleted,
      { records: [runCompleted({ event_id: id })] },
      LIMITS,
    );
    expect(admitted[0].event.event_id).toBe(id.toLowerCase());
  });

  it('refuses with 413 a record larger than a Kafka record may be, or with too many items', () => {
    const huge = runCompleted({ actor: 'a'.repeat(5_000) });
    const many = runCompleted({
      outputs: Array.from({ length: 51 }, (_, i) => ({ entity_type: 's', external_id: `${i}` })),
    });
    const { admitted, refused } = admitHttpRecords(
      Topics.CappellaRunCompleted,
      { records: [huge, many] },
      LIMITS,
    );
    expect(admitted).toEqual([]);
    expect(refused.map((r) => r.code)).toEqual([413, 413]);
    expect(refused[0].reason).toMatch(/MAX_EVENT_BYTES/);
    expect(refused[1].reason).toMatch(/outputs/);
  });

  it('refuses a request that is not {records: [...]}, empty, or over the record limit', () => {
    const attempt = (body: unknown) => () =>
      admitHttpRecords(Topics.CappellaRunCompleted, body, LIMITS);
    for (const body of [null, [], { records: 'x' }, { events: [] }, 'text']) {
      expect(attempt(body)).toThrow(IngestRequestError);
    }
    expect(attempt({ records: [] })).toThrow(/empty/);
    const tooMany = { records: Array.from({ length: 4 }, () => runCompleted()) };
    expect(attempt(tooMany)).toThrow(/INGEST_HTTP_MAX_RECORDS/);
    try {
      attempt(tooMany)();
    } catch (error) {
      expect((error as IngestRequestError).httpStatus).toBe(413);
    }
  });

  it('refuses a record that is not an object without reading more of it', () => {
    const { refused } = admitHttpRecords(
      Topics.CappellaRunCompleted,
      { records: [42, 'x', null] },
      LIMITS,
    );
    expect(refused.map((r) => [r.index, r.code, r.event_id])).toEqual([
      [0, 400, null],
      [1, 400, null],
      [2, 400, null],
    ]);
  });
});
