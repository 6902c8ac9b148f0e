import { describe, expect, it } from '@jest/globals';
import { encodeCursor } from '../page-cursor';
import { AuditQuerySchema, auditPageOf } from './audit-query';

const position = {
  at: '2026-12-01 09:15:02.123456+00',
  id: '5b0c6f39-2a56-4d36-9b2b-8b6f4bd6c0a1',
};

describe('audit query', () => {
  it('defaults to every entry, 50 at a time, and maps filters to the audit log’s', () => {
    expect(auditPageOf(AuditQuerySchema.parse({}))).toEqual({
      filter: {
        actor: undefined,
        action: undefined,
        objectType: undefined,
        objectId: undefined,
        since: undefined,
        until: undefined,
      },
      after: null,
      limit: 50,
    });
    const page = auditPageOf(
      AuditQuerySchema.parse({
        actor: 'alice',
        action: 'approve',
        object_type: 'repair_job',
        object_id: position.id,
        since: '2026-12-01T00:00:00Z',
        until: '2026-12-02T00:00:00Z',
        limit: '10',
        cursor: encodeCursor(position),
      }),
    );
    expect(page).toEqual({
      filter: {
        actor: 'alice',
        action: 'approve',
        objectType: 'repair_job',
        objectId: position.id,
        since: new Date('2026-12-01T00:00:00Z'),
        until: new Date('2026-12-02T00:00:00Z'),
      },
      after: position,
      limit: 10,
    });
  });

  it.each([
    [{ limit: '0' }, 'limit'],
    [{ limit: '501' }, 'limit'],
    [{ actor: '' }, 'actor'],
    [{ since: 'yesterday' }, 'since'],
    [{ since: '2026-12-02T00:00:00Z', until: '2026-12-01T00:00:00Z' }, 'since'],
    [{ cursor: 'bm90LWEtY3Vyc29y' }, 'cursor'],
    [{ who: 'alice' }, ''],
  ])('refuses %j, naming %s', (query, field) => {
    const parsed = AuditQuerySchema.safeParse(query);
    expect(parsed.success).toBe(false);
    const paths = parsed.error?.issues.map((issue) => issue.path.join('.'));
    expect(paths).toContain(field);
  });
});
