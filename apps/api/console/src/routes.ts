/**
 * The console's pages and their addresses: hash routes (`#/findings?status=unresolved`), so a
 * filtered list can be bookmarked and the static server needs no fallback. Pure.
 */

export type Page =
  'overview' | 'findings' | 'finding' | 'repairs' | 'scans' | 'dead-letters' | 'audit';

export interface Route {
  page: Page;
  /** The id of a finding or dead letter. */
  id?: string;
  params: Record<string, string>;
}

const PAGES: readonly Page[] = [
  'overview',
  'findings',
  'repairs',
  'scans',
  'dead-letters',
  'audit',
];

/** The route a location hash names; anything unknown is the overview. */
export function routeOf(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?', 2);
  const params = Object.fromEntries(
    [...new URLSearchParams(query)].filter(([, value]) => value !== ''),
  );
  const [first = '', id] = path.split('/').map(decodeURIComponent);
  if (first === 'findings' && id) return { page: 'finding', id, params };
  if (first === 'dead-letters' && id) return { page: 'dead-letters', id, params };
  const page = PAGES.find((candidate) => candidate === first) ?? 'overview';
  return { page, params };
}

/** The hash of a route; empty parameters are left out. */
export function hashOf(route: Route): string {
  const base = route.page === 'finding' ? 'findings' : route.page;
  const path = route.id ? `${base}/${encodeURIComponent(route.id)}` : base;
  const query = new URLSearchParams(
    Object.entries(route.params).filter(([, value]) => value !== ''),
  ).toString();
  return `#/${path}${query ? `?${query}` : ''}`;
}
