import { describe, expect, it } from '@jest/globals';
import { decodeCursor, encodeCursor } from '../page-cursor';
import { EventQuerySchema, storeQueryOf } from './event-query';

const position = {
  at: '2026-12-01 09:15:02.123456+00',
  id: '5b0c6f39-2a56-4d36-9b2b-8b6f4bd6c0a1',
};

describe('event query', () => {
  it('round-trips a position through its cursor and refuses cursors it did not make', () => {
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
    expect(decodeCursor('not-a-cursor')).toBeNull();
    expect(decodeCursor(Buffer.from('["yesterday","x"]').toString('base64url'))).toBeNull();
  });

  it('defaults to every event, 50 at a time, and maps filters to the store query', () => {
    expect(storeQueryOf(EventQuerySchema.parse({}))).toEqual({
      status: 'all',
      includeSnoozed: false,
      scanId: undefined,
      eventType: undefined,
      mismatchType: undefined,
      source: undefined,
      sourceId: undefined,
      since: undefined,
      until: undefined,
      after: null,
      limit: 50,
    });
    const query = storeQueryOf(
      EventQuerySchema.parse({
        status: 'unresolved',
        event_type: 'bridge.sync.mismatch',
        mismatch_type: 'missing_entity',
        source: 'cappella',
        source_id: 'run-1',
        since: '2026-12-01T00:00:00Z',
        limit: '10',
        cursor: encodeCursor(position),
      }),
    );
    expect(query).toMatchObject({
      status: 'unresolved',
      eventType: 'bridge.sync.mismatch',
      since: new Date('2026-12-01T00:00:00Z'),
      after: { createdAt: position.at, id: position.id },
      limit: 10,
    });
  });

  it('names the bad field', () => {
    const problems = (input: Record<string, unknown>) =>
      EventQuerySchema.safeParse(input).error?.issues.map(
        (issue) => issue.path.join('.') || issue.message,
      );
    expect(problems({ limit: '0' })).toEqual(['limit']);
    expect(problems({ limit: '501' })).toEqual(['limit']);
    expect(problems({ status: 'open' })).toEqual(['status']);
    expect(problems({ since: 'yesterday' })).toEqual(['since']);
    expect(problems({ cursor: 'bogus' })).toEqual(['cursor']);
    expect(problems({ mismatch_type: 'typo' })).toEqual(['mismatch_type']);
    expect(EventQuerySchema.safeParse({ sort: 'asc' }).error?.issues[0].message).toMatch(/sort/);
  });
});
