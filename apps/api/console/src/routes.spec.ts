import { hashOf, routeOf } from './routes';

describe('console routes', () => {
  it('reads a filtered list and a detail page from the hash', () => {
    expect(routeOf('#/findings?status=unresolved&source=hippo&source_id=')).toEqual({
      page: 'findings',
      params: { status: 'unresolved', source: 'hippo' },
    });
    expect(routeOf('#/findings/2f0c%2F1')).toEqual({ page: 'finding', id: '2f0c/1', params: {} });
    expect(routeOf('#/dead-letters/abc')).toEqual({ page: 'dead-letters', id: 'abc', params: {} });
    expect(routeOf('#/audit?actor=alice&action=approve')).toEqual({
      page: 'audit',
      params: { actor: 'alice', action: 'approve' },
    });
  });

  it('falls back to the overview for anything unknown', () => {
    expect(routeOf('')).toEqual({ page: 'overview', params: {} });
    expect(routeOf('#/<script>')).toEqual({ page: 'overview', params: {} });
  });

  it('writes back what it reads', () => {
    const route = {
      page: 'findings' as const,
      params: { status: 'all', mismatch_type: 'stale_cache' },
    };
    expect(routeOf(hashOf(route))).toEqual(route);
    expect(hashOf({ page: 'finding', id: 'a b', params: {} })).toBe('#/findings/a%20b');
  });
});
