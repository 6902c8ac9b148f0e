import { describe, expect, it } from '@jest/globals';
import type { Page } from '@bridge/components';
import { ReadAheadListing } from './read-ahead-listing';

/** Lets pending promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/**
 * A listing of 0..9 in pages of 3, recording which cursors were fetched and which pages were
 * prepared (the preparation doubles the items).
 */
function listing(options: { failFetchOnce?: string; failPrepareOnce?: number; depth?: number }) {
  const fetched: Array<string | null> = [];
  const prepared: number[][] = [];
  let fetchFailed = false;
  let prepareFailed = false;
  const fetchPage = (after: string | null): Promise<Page<number>> => {
    fetched.push(after);
    if (after === options.failFetchOnce && !fetchFailed) {
      fetchFailed = true;
      return Promise.reject(new Error(`page after ${after} failed`));
    }
    const start = after === null ? 0 : Number(after);
    const end = Math.min(10, start + 3);
    const items = Array.from({ length: end - start }, (_, i) => start + i);
    return Promise.resolve({ items, next_cursor: end < 10 ? String(end) : null });
  };
  const prepare = (items: number[]): Promise<number[]> => {
    if (items[0] === options.failPrepareOnce && !prepareFailed) {
      prepareFailed = true;
      return Promise.reject(new Error(`preparing ${items[0]} failed`));
    }
    prepared.push(items);
    return Promise.resolve(items.map((item) => item * 2));
  };
  return { fetched, prepared, reader: new ReadAheadListing(fetchPage, prepare, options.depth) };
}

describe('ReadAheadListing', () => {
  it('fetches and prepares the next pages while a page is handled, up to the depth', async () => {
    const { fetched, prepared, reader } = listing({ depth: 2 });
    const first = await reader.read(null);
    expect(first).toEqual({
      page: { items: [0, 1, 2], next_cursor: '3' },
      prepared: [0, 2, 4],
    });
    await settle();
    // Two pages wait beyond the one handed out, already prepared.
    expect(fetched).toEqual([null, '3', '6']);
    expect(prepared).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7, 8],
    ]);
    expect((await reader.read('3')).prepared).toEqual([6, 8, 10]);
    await settle();
    expect(fetched).toEqual([null, '3', '6', '9']);
    await reader.read('6');
    expect((await reader.read('9')).page).toEqual({ items: [9], next_cursor: null });
    await settle();
    // Nothing after the last page, and no page fetched twice.
    expect(fetched).toEqual([null, '3', '6', '9']);
  });

  it('drops what it read ahead when another cursor is asked for', async () => {
    const { fetched, reader } = listing({});
    await reader.read(null);
    await settle();
    expect((await reader.read(null)).page.items).toEqual([0, 1, 2]);
    expect((await reader.read('3')).page.items).toEqual([3, 4, 5]);
    await settle();
    expect(fetched.filter((cursor) => cursor === null)).toHaveLength(2);
  });

  it('reports a failed fetch or preparation when that page is asked for, and starts afresh', async () => {
    const failedFetch = listing({ failFetchOnce: '3' });
    await failedFetch.reader.read(null);
    await settle();
    await expect(failedFetch.reader.read('3')).rejects.toThrow('page after 3 failed');
    expect((await failedFetch.reader.read('3')).page.items).toEqual([3, 4, 5]);

    const failedPrepare = listing({ failPrepareOnce: 3 });
    await failedPrepare.reader.read(null);
    await settle();
    await expect(failedPrepare.reader.read('3')).rejects.toThrow('preparing 3 failed');
    expect((await failedPrepare.reader.read('3')).prepared).toEqual([6, 8, 10]);
  });
});
